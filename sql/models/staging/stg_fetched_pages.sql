-- stg_fetched_pages: the latest fetch of each URL, with the LiveRC id the URL carries.
-- grain: one row per URL
-- unique: url
select
    url,
    page_type,
    cast(status as integer) as http_status,
    try_cast(regexp_extract(url, '[?&]id=([0-9]+)', 1) as bigint) as url_id,
    fetched_at
from src_fetched_pages
