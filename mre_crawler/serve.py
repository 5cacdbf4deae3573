"""A replay server: a folder of saved or generated pages served by LiveRC URL on 127.0.0.1.

The folder holds a ``manifest.tsv`` (``file``, ``url``, ``page_type``; the sample-site generator
writes it) or the 7-column ``MANIFEST.tsv`` of ``../shared/liverc`` (same first three columns).
LiveRC URL ``https://SLUG.liverc.com/PATH?QUERY`` is served at ``/SLUG/PATH?QUERY`` (the catalogue
``live.liverc.com`` at ``/live/``): the convention :func:`mre_crawler.urls.to_site` fetches by, so
``--site http://127.0.0.1:PORT`` on any crawl command reads from here. Unknown URLs get 404.

Every request is logged (time, path, status, user agent) so tests can check what the crawler
asked for and when, without timing anything themselves. ``script`` lets a test make a URL answer
with given statuses first (429 with Retry-After, then 503, then the page).
"""

from __future__ import annotations

import csv
import threading
import time
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

from mre_crawler.urls import BadURL, to_site

MANIFEST_NAMES = ("manifest.tsv", "MANIFEST.tsv")


@dataclass(frozen=True)
class ServedPage:
    file: Path
    url: str  # the real LiveRC URL
    page_type: str


@dataclass(frozen=True)
class LoggedRequest:
    at: float  # time.time() when the request arrived
    path: str  # path and query as requested
    status: int
    user_agent: str


@dataclass
class ScriptedAnswer:
    status: int
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""


def site_key(path_and_query: str) -> str:
    """Path plus sorted query: ``?id=1&p=x`` and ``?p=x&id=1`` are the same page."""
    parts = urlsplit(path_and_query)
    path = parts.path or "/"
    query = urlencode(sorted(parse_qsl(parts.query, keep_blank_values=True)))
    return f"{path}?{query}" if query else path


def find_manifest(directory: Path) -> Path:
    for name in MANIFEST_NAMES:
        if (directory / name).is_file():
            return directory / name
    raise FileNotFoundError(f"no manifest.tsv in {directory} (a folder of pages needs one: file, url, page_type)")


def read_manifest(directory: Path) -> list[ServedPage]:
    """The pages a folder serves; rows whose URL is not a LiveRC URL are skipped."""
    manifest = find_manifest(directory)
    pages: list[ServedPage] = []
    with open(manifest, newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            if not row.get("file") or not row.get("url"):
                continue
            pages.append(ServedPage(directory / row["file"], row["url"].strip(), (row.get("page_type") or "").strip()))
    return pages


class SiteServer:
    """Serve ``directory`` on 127.0.0.1 in a background thread (``with SiteServer(d) as s: s.site``)."""

    def __init__(
        self,
        directory: Path | str | None = None,
        port: int = 0,
        pages: Iterable[ServedPage] = (),
        host: str = "127.0.0.1",
    ):
        self.routes: dict[str, Path] = {}
        if directory is not None:
            pages = [*read_manifest(Path(directory)), *pages]
        for page in pages:
            self.add(page.url, page.file)
        self.log: list[LoggedRequest] = []
        self.scripts: dict[str, deque[ScriptedAnswer]] = {}
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer((host, port), self._handler_class())
        self._httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    # -- routes --------------------------------------------------------------------------------
    def add(self, liverc_url: str, file: Path) -> None:
        try:
            site_url = to_site(liverc_url, "http://x")
        except BadURL:
            return
        self.routes[site_key(site_url[len("http://x"):])] = Path(file)

    def remove(self, liverc_url: str) -> None:
        self.routes.pop(site_key(to_site(liverc_url, "http://x")[len("http://x"):]), None)

    def script(self, liverc_url: str, answers: Iterable[ScriptedAnswer]) -> None:
        """Answer the next requests for ``liverc_url`` with ``answers`` (then serve the page)."""
        key = site_key(to_site(liverc_url, "http://x")[len("http://x"):])
        self.scripts[key] = deque(answers)

    def requests_for(self, liverc_url: str) -> list[LoggedRequest]:
        key = site_key(to_site(liverc_url, "http://x")[len("http://x"):])
        return [r for r in self.log if site_key(r.path) == key]

    # -- lifecycle -----------------------------------------------------------------------------
    @property
    def port(self) -> int:
        return self._httpd.server_address[1]

    @property
    def site(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> SiteServer:
        # A short poll: stop() waits out one poll, and tests start and stop many servers.
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="mre-serve", daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self._httpd.serve_forever()

    def stop(self) -> None:
        """Stop serving (safe to call twice)."""
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join(5)
            self._thread = None
        self._httpd.server_close()

    def __enter__(self) -> SiteServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- HTTP ----------------------------------------------------------------------------------
    def _answer(self, path: str) -> tuple[int, dict[str, str], bytes]:
        key = site_key(path)
        with self._lock:
            queue = self.scripts.get(key)
            if queue:
                answer = queue.popleft()
                return answer.status, dict(answer.headers), answer.body
        file = self.routes.get(key)
        if file is None or not file.is_file():
            return 404, {"Content-Type": "text/plain; charset=utf-8"}, b"not in this replay site\n"
        return 200, {"Content-Type": "text/html; charset=utf-8"}, file.read_bytes()

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out in two writes; with Nagle on, the body's last segment waited
            # for the client's delayed ACK (~40 ms a response on loopback), which capped a bare
            # Scrapy spider at ~145 requests/s with 8 in flight, 35 % of a core busy (416-486/s without).
            disable_nagle_algorithm = True

            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                status, headers, body = server._answer(self.path)
                with server._lock:
                    server.log.append(LoggedRequest(time.time(), self.path, status, self.headers.get("User-Agent", "")))
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:  # quiet: the log list has it
                pass

        return Handler
