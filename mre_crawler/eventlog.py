"""``--log-json FILE``: one JSON object per event, for machines; plain logs stay as they are.

Code reports an event with :func:`emit` (``emit("discovery", track=..., range=..., results=...)``):
it is an ordinary ``logging`` record on the ``mre.events`` logger whose message reads well in a
plain log (``discovery track=myclub range=2025-01-01..2025-01-31 results=4``) and which carries
the fields. :func:`add_option` gives a command's parser the option; the CLI installs a standard
``logging.FileHandler`` with :class:`JsonFormatter` for it (:func:`install`), which writes every
event and every warning or error, one JSON object a line.
"""

from __future__ import annotations

import argparse
import json
import logging
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

events = logging.getLogger("mre.events")


def emit(event: str, **fields: Any) -> None:
    text = " ".join(f"{k}={v}" for k, v in fields.items())
    events.info("%s %s", event, text, extra={"mre_event": event, "mre_fields": fields})


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "event": getattr(record, "mre_event", "log"),
        }
        fields = getattr(record, "mre_fields", None)
        if fields is not None:
            out.update(fields)
        else:
            out.update(level=record.levelname, logger=record.name, message=record.getMessage())
        return json.dumps(out, default=str)


class _EventsAndWarnings(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return hasattr(record, "mre_event") or record.levelno >= logging.WARNING


def add_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--log-json", type=Path, metavar="FILE",
                        help="also write one JSON object per event (and per warning) to FILE, appended")


def install(path: Path) -> logging.Handler:
    """Append events and warnings to ``path`` as JSON lines until :func:`uninstall`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(JsonFormatter())
    handler.addFilter(_EventsAndWarnings())
    logging.getLogger().addHandler(handler)
    if events.getEffectiveLevel() > logging.INFO:
        events.setLevel(logging.INFO)
    return handler


def uninstall(handler: logging.Handler) -> None:
    logging.getLogger().removeHandler(handler)
    handler.close()
