-- stg_build_settings: the build's switches from the environment (warehouse/settings.py), as data.
-- grain: one row per build (exactly one row)
-- unique: session_type_inference
select
    cast(session_type_inference as boolean) as session_type_inference
from src_build_settings
