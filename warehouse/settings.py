"""Build settings the SQL models read, from the environment, as the one-row source ``src_build_settings``.

Models are SQL, so a switch such as ``MRE_SESSION_TYPE_INFERENCE`` reaches them as data: the
runner registers ``src_build_settings`` (one row) next to the crawled tables, and
``stg_build_settings`` renames it like any other source.

``MRE_SESSION_TYPE_INFERENCE`` (default off): off keeps the legacy contract for existing
consumers, ``mart_races.session_type`` is the value stored in PostgreSQL (NULL, read as race,
until ``mre session-type backfill`` writes it); on fills ``session_type`` from the inference (a
person's override first). The inferred columns are published under their own names either way.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import pyarrow as pa

SETTINGS_SOURCE = "src_build_settings"
ENV_SESSION_TYPE_INFERENCE = "MRE_SESSION_TYPE_INFERENCE"
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"", "0", "false", "no", "off"}


class SettingError(ValueError):
    """An environment setting with a value we do not understand (never guessed)."""


def _flag(name: str) -> bool:
    raw = os.environ.get(name, "").strip().lower()
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise SettingError(f"{name}={raw!r}: use on/off (1/0, true/false, yes/no)")


@dataclass(frozen=True)
class BuildSettings:
    session_type_inference: bool = False

    @classmethod
    def from_env(cls) -> BuildSettings:
        return cls(session_type_inference=_flag(ENV_SESSION_TYPE_INFERENCE))

    def as_arrow(self) -> pa.Table:
        return pa.table({"session_type_inference": pa.array([self.session_type_inference], pa.bool_())})
