"""Betamax cassettes: recorded with ``requests`` (``mre record``), replayed inside Scrapy.

Betamax only hooks ``requests``, so Scrapy cannot use it directly; its JSON cassette format is
the shared contract instead. :func:`record` fetches pages through a betamax-wrapped
``requests.Session`` and then rewrites each interaction's URL to the real LiveRC URL (when the
pages came from a ``--site`` replay server), so a cassette always speaks in LiveRC URLs.
:class:`CassetteLibrary` reads cassettes and answers Scrapy requests from them (the download
handler in :mod:`mre_crawler.middlewares.replay` uses it); a URL the cassettes do not hold gets
a 404, exactly like a replay server that lacks the page.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from w3lib.url import canonicalize_url

from mre_crawler import __version__
from mre_crawler.urls import from_site, to_site


@dataclass(frozen=True)
class RecordedResponse:
    url: str
    status: int
    headers: dict[str, list[str]]
    body: bytes


def _key(method: str, url: str) -> tuple[str, str]:
    return method.upper(), canonicalize_url(url)


def _body(serialized: dict) -> bytes:
    if "base64_string" in serialized and serialized["base64_string"]:
        return base64.b64decode(serialized["base64_string"])
    text = serialized.get("string") or ""
    return text.encode(serialized.get("encoding") or "utf-8")


class CassetteLibrary:
    """Every interaction of some cassette files, by (method, canonical URL); later files win."""

    def __init__(self, paths: Iterable[Path | str]):
        self.paths = [Path(p) for p in paths]
        self.responses: dict[tuple[str, str], RecordedResponse] = {}
        for path in self.paths:
            data = json.loads(path.read_text(encoding="utf-8"))
            for interaction in data.get("http_interactions", []):
                req, resp = interaction["request"], interaction["response"]
                self.responses[_key(req.get("method", "GET"), req["uri"])] = RecordedResponse(
                    url=req["uri"],
                    status=int(resp["status"]["code"]),
                    headers={k: list(v) if isinstance(v, list) else [v] for k, v in resp.get("headers", {}).items()},
                    body=_body(resp.get("body", {})),
                )

    def __len__(self) -> int:
        return len(self.responses)

    def lookup(self, method: str, url: str) -> RecordedResponse | None:
        return self.responses.get(_key(method, url))


@dataclass(frozen=True)
class RecordReport:
    cassette: Path
    recorded: list[tuple[str, int]]  # (LiveRC URL, status)


def record(urls: Sequence[str], cassette: Path, site: str | None = None, contact: str = "") -> RecordReport:
    """Fetch ``urls`` (LiveRC URLs, from ``site`` when given) with betamax recording ``cassette``."""
    import requests
    from betamax import Betamax

    cassette = Path(cassette).resolve()
    cassette.parent.mkdir(parents=True, exist_ok=True)
    name = cassette.name[: -len(".json")] if cassette.name.endswith(".json") else cassette.name
    session = requests.Session()
    session.headers["User-Agent"] = f"MRE/{__version__} (+{contact or 'contact not configured: set MRE_CONTACT'})"
    recorder = Betamax(session, cassette_library_dir=str(cassette.parent))
    recorded: list[tuple[str, int]] = []
    with recorder.use_cassette(name, record="all", serialize_with="json", preserve_exact_body_bytes=False):
        for url in urls:
            response = session.get(to_site(url, site), timeout=30, allow_redirects=False)
            recorded.append((url, response.status_code))
    session.close()
    written = cassette.parent / f"{name}.json"
    if site:
        _rewrite_to_liverc(written, site)
    if written != cassette:
        written.replace(cassette)
    return RecordReport(cassette, recorded)


def _rewrite_to_liverc(path: Path, site: str) -> None:
    """Make a cassette recorded from a replay server name the real LiveRC URLs."""
    data = json.loads(path.read_text(encoding="utf-8"))
    prefix = site.rstrip("/")
    for interaction in data.get("http_interactions", []):
        for part in ("request", "response"):
            for key in ("uri", "url"):
                value = interaction[part].get(key)
                if isinstance(value, str) and value.startswith(prefix):
                    interaction[part][key] = from_site(value, site)
    path.write_text(json.dumps(data, indent=1, sort_keys=True), encoding="utf-8")
