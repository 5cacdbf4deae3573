"""``--log-json FILE``: one JSON object per event, for machines; plain logs stay as they are.

Code reports an event with :func:`emit` (``emit("discovery", track=..., range=..., results=...)``):
it is an ordinary ``logging`` record on the ``mre.events`` logger whose message reads well in a
plain log (``discovery track=myclub range=2025-01-01..2025-01-31 results=4``) and which carries
the fields. :func:`add_option` gives a command's parser the option; the CLI installs a standard
``logging.FileHandler`` with :class:`JsonFormatter` for it (:func:`install`), which writes every
event and every warning or error, one JSON object a line.

Every line has ``ts``, ``level``, ``event`` (``log`` for a plain warning or error), ``message``
(the plain-log text), ``run`` (one id per command invocation, shared by its lines, so lines of
runs appending to one file can be told apart) and ``command``; an event's fields follow (database
run ids among them: ``crawl_run_id``, ``practice_run_id``, ``sync_id``), a traceback goes in
``exc``. Values JSON cannot hold (NaN, infinities) are written as null, so every line is strict JSON.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

events = logging.getLogger("mre.events")


def emit(event: str, **fields: Any) -> None:
    text = " ".join(f"{k}={v}" for k, v in fields.items())
    events.info("%s %s", event, text, extra={"mre_event": event, "mre_fields": fields})


BASE_FIELDS = ("ts", "level", "event", "message", "run", "command")


def _strict(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): _strict(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_strict(v) for v in value]
    return value


class JsonFormatter(logging.Formatter):
    def __init__(self, run: str | None = None, command: str | None = None):
        super().__init__()
        self.run = run or f"{uuid.uuid4().hex[:12]}"
        self.command = command

    def format(self, record: logging.LogRecord) -> str:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a bad %-format in someone's log call still gives a line
            message = str(record.msg)
        out: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "event": getattr(record, "mre_event", "log"),
            "message": message,
            "run": self.run,
            "command": self.command,
        }
        fields = getattr(record, "mre_fields", None)
        if fields is not None:
            out.update({k: v for k, v in fields.items() if k not in BASE_FIELDS})
        else:
            out["logger"] = record.name
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return json.dumps(_strict(out), default=str, allow_nan=False)


class _EventsAndWarnings(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return hasattr(record, "mre_event") or record.levelno >= logging.WARNING


def add_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--log-json", type=Path, metavar="FILE",
                        help="also write one JSON object per event (and per warning) to FILE, appended")


def install(path: Path, command: str | None = None) -> logging.Handler:
    """Append events and warnings to ``path`` as JSON lines until :func:`uninstall`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(JsonFormatter(f"{os.getpid()}-{uuid.uuid4().hex[:8]}", command))
    handler.addFilter(_EventsAndWarnings())
    logging.getLogger().addHandler(handler)
    if events.getEffectiveLevel() > logging.INFO:
        events.setLevel(logging.INFO)
    return handler


def uninstall(handler: logging.Handler) -> None:
    logging.getLogger().removeHandler(handler)
    handler.close()
