"""A replay server that breaks answers on purpose, by rule and by seed: the crawler's adversary.

:class:`FaultServer` is a :class:`~mre_crawler.serve.SiteServer` (same folder, same ``--site``
convention) with a list of :class:`FaultRule`. Each request is matched against the rules in order;
the first rule that applies decides the answer, otherwise the page is served as it is.

A rule **matches** by page type (from the manifest, or what the URL says for pages the folder does
not have), by a regex searched in the LiveRC URL, and by a ``share`` of the matching pages picked
with the seed (the same seed picks the same pages; :meth:`FaultServer.chosen` lists them). It
**applies** to every matching request, or only the first ``first`` times each page reaches it,
or only for ``for_seconds`` after it first applied. Its **action** is one of:

- ``status``: answer ``status`` (503 by default), with ``Retry-After: retry_after`` if given;
- ``cut``: a 200 whose body is cut at ``at`` with a Content-Length that matches the cut body, so
  nothing at the HTTP level says it is incomplete. ``at``: a fraction of the bytes, ``"random"``
  (a seeded point), ``"results"`` (after half the rows of a race page's results table) or ``"laps"``
  (halfway through the race page's ``racerLaps`` script or the practice session's ``lapsObj``);
  a page without that table or script is not cut (the rule does not apply to it);
- ``short``: declare the whole body's Content-Length, send the bytes up to ``at``, close;
- ``garbage`` (seeded random bytes), ``empty`` (a 200 with no body), ``challenge`` (a
  Cloudflare-like "Just a moment..." bot check, status 403 unless ``status`` says otherwise);
- ``slow``: wait ``seconds`` before answering (to outlast a download timeout);
- ``redirect``: ``status`` (302 by default) with a Location ``to``: ``https`` (the same LiveRC
  URL), ``site`` (the same page on this server, as a 127.0.0.1 URL), ``slash`` (the same URL with
  the trailing slash of its path added or removed), ``other-track`` (a page of the same type on
  another track of the folder), ``other-id`` (another page of the same type and track),
  ``other-type`` (a page of another type on the same track), ``offsite`` (``http://offsite.invalid/x``,
  which never resolves), or any absolute URL;
- ``drop``: close the connection without answering.

Every request is logged (:class:`FaultLogEntry`: time, path, LiveRC URL, page type, Host header,
status, the fault applied, bytes sent). ``on_request`` hooks are called as each request arrives,
before it is answered, with the running request count: a test can kill a crawler at its Nth page.

Rules can be written as JSON for ``mre serve DIR --faults RULES.json``::

    {"seed": 7, "rules": [
      {"action": "status", "status": 503, "retry_after": 1, "page_type": "race_result", "share": 0.3, "first": 2},
      {"action": "cut", "at": "results", "page_type": "race_result", "share": 0.1},
      {"action": "redirect", "to": "offsite", "url": "id=\\\\d*7$"}
    ]}
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import socket
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from mre_crawler.serve import SiteServer, site_key
from mre_crawler.urls import BadURL, from_site, host_slug, read_url, to_site

ACTIONS = ("status", "cut", "short", "garbage", "empty", "challenge", "slow", "redirect", "drop")
REDIRECT_TARGETS = ("https", "site", "slash", "other-track", "other-id", "other-type", "offsite")
CUT_POINTS = ("random", "results", "laps")
OFFSITE_URL = "http://offsite.invalid/x"
_NEEDS_PAGE = ("cut", "short")  # actions that change the page's own bytes: only for pages the folder has

# What Cloudflare's managed challenge looks like to a client without JavaScript (trimmed).
CHALLENGE_HTML = """<!DOCTYPE html><html lang="en-US"><head><title>Just a moment...</title>
<meta http-equiv="Content-Type" content="text/html; charset=UTF-8">
<meta name="robots" content="noindex,nofollow"><meta http-equiv="refresh" content="390">
</head><body><div class="main-wrapper" role="main"><div class="main-content">
<h1 class="zone-name-title h1">{host}</h1>
<h2 class="h2" id="challenge-running">Checking if the site connection is secure</h2>
<noscript><div class="h2"><span id="challenge-error-text">Enable JavaScript and cookies to continue</span></div></noscript>
<div id="challenge-body-text" class="core-msg spacer">{host} needs to review the security of your connection before proceeding.</div>
</div></div><script>(function(){{window._cf_chl_opt={{cvId: '3',cType: 'managed',cRay: '{ray}'}};}}());</script>
</body></html>
"""


@dataclass(frozen=True)
class FaultRule:
    """One fault: which requests (page_type, url, share, first, for_seconds) and what happens."""

    action: str
    page_type: tuple[str, ...] = ()  # any of these page types; empty: any
    url: str | None = None  # a regex searched in the LiveRC URL
    share: float = 1.0  # of the matching pages, picked with the seed
    first: int | None = None  # only the first N times each page reaches this rule
    for_seconds: float | None = None  # only this long after the rule first applied
    status: int | None = None  # status: default 503; redirect: 302; challenge: 403
    retry_after: str | None = None  # status: a Retry-After header
    at: float | str = 0.5  # cut / short: a fraction, or one of CUT_POINTS
    seconds: float = 0.0  # slow
    to: str = "https"  # redirect: one of REDIRECT_TARGETS or an absolute URL

    def __post_init__(self) -> None:
        if isinstance(self.page_type, str):
            object.__setattr__(self, "page_type", (self.page_type,))
        else:
            object.__setattr__(self, "page_type", tuple(self.page_type))
        if self.retry_after is not None:
            object.__setattr__(self, "retry_after", str(self.retry_after))
        if self.action not in ACTIONS:
            raise ValueError(f"unknown fault action {self.action!r} (one of {', '.join(ACTIONS)})")
        if not 0.0 <= self.share <= 1.0:
            raise ValueError(f"share must be between 0 and 1, not {self.share!r}")
        if self.first is not None and self.first < 1:
            raise ValueError(f"first must be at least 1, not {self.first!r}")
        if self.url is not None:
            re.compile(self.url)
        if isinstance(self.at, str):
            if self.at not in CUT_POINTS:
                raise ValueError(f"at must be a fraction or one of {', '.join(CUT_POINTS)}, not {self.at!r}")
        elif not 0.0 <= float(self.at) < 1.0:
            raise ValueError(f"at must be a fraction in [0, 1), not {self.at!r}")
        if self.action == "redirect" and self.to not in REDIRECT_TARGETS and not self.to.startswith(("http://", "https://")):
            raise ValueError(f"redirect to must be one of {', '.join(REDIRECT_TARGETS)} or an absolute URL, not {self.to!r}")
        if self.seconds < 0:
            raise ValueError("seconds must not be negative")

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FaultRule:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown fault rule key {unknown[0]!r} (known: {', '.join(sorted(known))})")
        if "action" not in data:
            raise ValueError("a fault rule needs an action")
        return cls(**data)

    def to_dict(self) -> dict[str, Any]:
        default = FaultRule(self.action)
        out = {k: v for k, v in asdict(self).items() if k == "action" or v != getattr(default, k)}
        if "page_type" in out:
            out["page_type"] = list(out["page_type"])
        return out

    def describe(self) -> str:
        return " ".join(f"{k}={v}" for k, v in self.to_dict().items())


@dataclass(frozen=True)
class FaultSpec:
    seed: int
    rules: tuple[FaultRule, ...]


def parse_fault_spec(data: Any, seed: int | None = None) -> FaultSpec:
    """``{"seed": N, "rules": [...]}`` or a bare list of rules; ``seed`` (when given) wins."""
    if isinstance(data, list):
        data = {"rules": data}
    if not isinstance(data, dict) or not isinstance(data.get("rules"), list):
        raise ValueError('a fault spec is {"seed": N, "rules": [{"action": ...}, ...]} or a list of rules')
    unknown = sorted(set(data) - {"seed", "rules"})
    if unknown:
        raise ValueError(f"unknown fault spec key {unknown[0]!r} (known: seed, rules)")
    rules = []
    for i, rule in enumerate(data["rules"], 1):
        if not isinstance(rule, dict):
            raise ValueError(f"rule {i}: a rule is an object with an action")
        try:
            rules.append(FaultRule.from_dict(rule))
        except (TypeError, ValueError, re.error) as exc:
            raise ValueError(f"rule {i}: {exc}") from None
    return FaultSpec(int(seed if seed is not None else data.get("seed", 0)), tuple(rules))


def load_fault_spec(path: Path | str, seed: int | None = None) -> FaultSpec:
    with open(path, encoding="utf-8") as fh:
        try:
            data = json.load(fh)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path}: not JSON: {exc}") from None
    return parse_fault_spec(data, seed)


@dataclass
class FaultLogEntry:
    at: float  # time.time() when the request arrived
    path: str  # path and query as requested
    url: str  # the LiveRC URL the path stands for ('' when it stands for none)
    page_type: str
    host: str  # the Host header
    user_agent: str
    status: int | None  # None: the connection was dropped without an answer
    fault: str | None = None  # what was done to the answer; None: served as it is
    rule: int | None = None  # index of the rule that applied
    bytes_sent: int | None = None  # body bytes sent; None until the answer goes out, 0 when the client had gone


@dataclass
class _Answer:
    status: int | None
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    fault: str | None = None
    rule: int | None = None
    send: int | None = None  # short: send only this many body bytes, then close
    delay: float = 0.0


@dataclass
class _RuleState:
    rule: FaultRule
    index: int
    chosen: frozenset[str] | None  # page keys picked by share (None: share 1, every page)
    seen: dict[str, int] = field(default_factory=dict)  # page key -> matching requests so far
    started: float | None = None  # when it first applied (for for_seconds)


def page_key(liverc_url: str) -> str:
    """One key per LiveRC page: host, path without its trailing slash, sorted query."""
    parts = urlsplit(liverc_url)
    query = urlencode(sorted(parse_qsl(parts.query, keep_blank_values=True)))
    return f"{(parts.hostname or '').lower()}{parts.path.rstrip('/') or '/'}?{query}"


def _unit(*parts: object) -> float:
    digest = hashlib.sha256(":".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def _toggle_slash(url: str) -> str:
    parts = urlsplit(url)
    path = parts.path or "/"
    if path == "/":
        return url
    path = path[:-1] if path.endswith("/") else path + "/"
    return urlunsplit((parts.scheme, parts.netloc, path, parts.query, parts.fragment))


def _line_end_near(body: bytes, start: int, end: int) -> int:
    """A cut point halfway between ``start`` and ``end``, moved to just after a line end."""
    middle = (start + end) // 2
    nl = body.rfind(b"\n", start, middle)
    return nl + 1 if nl > start else middle


def cut_point(body: bytes, at: float | str, rng: random.Random) -> int | None:
    """Where to cut ``body``; None when the page has no such place (no results table ...)."""
    if not isinstance(at, str):
        return int(len(body) * float(at))
    if at == "random":
        return rng.randrange(1, len(body)) if len(body) > 1 else 0
    if at == "results":  # the race page's results table (<table class="... race_result">), not any table
        table = re.search(rb"<table[^>]*class=\"[^\"]*\brace_result\b", body)
        start = body.find(b"<tbody", table.end()) if table else -1
        end = body.find(b"</tbody>", start) if start >= 0 else -1
        if start < 0 or end < 0:
            return None
        row_ends = [m.end() for m in re.finditer(rb"</tr>\s*", body[start:end])]
        if len(row_ends) >= 2:  # after a whole row: every row read is complete, some are missing
            return start + row_ends[len(row_ends) // 2 - 1]
        return _line_end_near(body, start, end)
    for marker in (b"racerLaps", b"lapsObj"):  # at == "laps": race pages, then practice sessions
        start = body.find(marker)
        if start >= 0:
            end = body.find(b"</script>", start)
            return _line_end_near(body, start, end if end > 0 else len(body))
    return None


class FaultServer(SiteServer):
    """A :class:`SiteServer` whose answers follow :class:`FaultRule` rules, deterministically from ``seed``."""

    def __init__(self, directory: Path | str | None = None, rules: Iterable[FaultRule] = (), seed: int = 0,
                 **kwargs: Any):
        self._urls: dict[str, tuple[str, str]] = {}  # page key -> (URL as the manifest spells it, page type)
        super().__init__(directory, **kwargs)
        # Re-entrant: a rule decides under the lock and may fall back to SiteServer's own answer,
        # which takes the lock too (scripted answers).
        self._lock = threading.RLock()
        # Requests being answered right now per track (first path segment), and the most at once:
        # what "at most N requests per track in flight" looks like from the server's side.
        self.in_flight: dict[str, int] = {}
        self.max_in_flight: dict[str, int] = {}
        self.seed = seed
        self.log: list[FaultLogEntry] = []  # type: ignore[assignment]
        self.errors: list[str] = []  # connection errors while answering (a client gone during a slow answer)
        self._rules: list[_RuleState] = []
        self._hooks: list[Callable[[int, FaultLogEntry], None]] = []
        self._httpd.handle_error = self._handle_error  # type: ignore[method-assign]
        for rule in rules:
            self.add_rule(rule)

    # -- rules ---------------------------------------------------------------------------------
    @property
    def rules(self) -> list[FaultRule]:
        return [state.rule for state in self._rules]

    def add_rule(self, rule: FaultRule | Mapping[str, Any]) -> FaultRule:
        """Add a rule after the others (a rule added later starts with fresh counts)."""
        if not isinstance(rule, FaultRule):
            rule = FaultRule.from_dict(rule)
        with self._lock:
            index = len(self._rules)
            self._rules.append(_RuleState(rule, index, self._pick(rule, index)))
        return rule

    def clear_rules(self) -> None:
        """Serve every page as it is from now on (the log is kept; rules added later count from 0 again)."""
        with self._lock:
            self._rules.clear()

    def chosen(self, rule: int | FaultRule = 0) -> list[str]:
        """The LiveRC URLs of the folder that rule ``rule`` (index or rule) matches, seed and share applied."""
        state = self._state(rule)
        return sorted(url for url, page_type in self._manifest_pages() if self._matches(state, page_key(url), url, page_type))

    def _state(self, rule: int | FaultRule) -> _RuleState:
        if isinstance(rule, int):
            return self._rules[rule]
        return next(s for s in self._rules if s.rule is rule)

    def _manifest_pages(self) -> list[tuple[str, str]]:
        """(LiveRC URL as the manifest spells it, page type) of every page the folder serves."""
        return list(self._urls.values())

    def add(self, liverc_url: str, file: Path) -> None:
        super().add(liverc_url, file)
        if host_slug(liverc_url) is not None:
            self._urls[page_key(liverc_url)] = (liverc_url, self._page_type_of(liverc_url))

    def remove(self, liverc_url: str) -> None:
        super().remove(liverc_url)
        self._urls.pop(page_key(liverc_url), None)

    @staticmethod
    def _page_type_of(url: str) -> str:
        try:
            return read_url(url).page_type
        except BadURL:
            return ""

    def _filter(self, rule: FaultRule, url: str, page_type: str) -> bool:
        if rule.page_type and page_type not in rule.page_type:
            return False
        return rule.url is None or re.search(rule.url, url) is not None

    def _pick(self, rule: FaultRule, index: int) -> frozenset[str] | None:
        """The pages a share picks: exactly round(share x matching pages) of the folder's, at least one."""
        if rule.share >= 1.0:
            return None
        candidates = sorted(page_key(u) for u, t in self._manifest_pages() if self._filter(rule, u, t))
        if rule.share <= 0.0 or not candidates:
            return frozenset()
        k = max(1, round(rule.share * len(candidates)))
        return frozenset(random.Random(f"{self.seed}:rule:{index}").sample(candidates, k))

    def _matches(self, state: _RuleState, key: str, url: str, page_type: str) -> bool:
        if not self._filter(state.rule, url, page_type):
            return False
        if state.chosen is None:
            return True
        if key in state.chosen:
            return True
        # A page the folder does not have (a 404): the same share, by a seeded hash of its URL.
        return key not in self._urls and _unit(self.seed, state.index, key) < state.rule.share

    # -- log and hooks -------------------------------------------------------------------------
    def on_request(self, hook: Callable[[int, FaultLogEntry], None]) -> None:
        """Call ``hook(n, entry)`` as the n-th request arrives, before it is answered."""
        self._hooks.append(hook)

    def requests_for(self, liverc_url: str) -> list[FaultLogEntry]:  # type: ignore[override]
        """Requests for this page (any spelling: query order, trailing slash, site or LiveRC URL)."""
        key = page_key(liverc_url)
        return [r for r in self.log if r.url and page_key(r.url) == key]

    def faults_applied(self, action: str | None = None) -> list[FaultLogEntry]:
        return [r for r in self.log if r.fault and (action is None or r.fault.split(" ", 1)[0] == action)]

    def faulted_urls(self, action: str | None = None) -> set[str]:
        return {r.url for r in self.faults_applied(action)}

    @property
    def hosts_requested(self) -> set[str]:
        """Every Host header the server saw."""
        return {r.host for r in self.log}

    def foreign_requests(self) -> list[FaultLogEntry]:
        """Requests whose Host header is not this server's address (a client sent elsewhere's URL here)."""
        own = {f"127.0.0.1:{self.port}", f"localhost:{self.port}"}
        return [r for r in self.log if r.host not in own]

    def _handle_error(self, request: Any, client_address: Any) -> None:
        import sys

        self.errors.append(f"{client_address}: {sys.exc_info()[1]!r}")

    # -- answers -------------------------------------------------------------------------------
    def _page(self, path: str) -> bytes | None:
        for candidate in (path, _toggle_slash(path)):
            file = self.routes.get(site_key(candidate))
            if file is not None and file.is_file():
                return file.read_bytes()
        return None

    def _clean(self, path: str) -> _Answer:
        status, headers, body = self._answer(path)
        if status == 404:
            page = self._page(path)  # the other trailing-slash spelling of a page we have
            if page is not None:
                status, headers, body = 200, {"Content-Type": "text/html; charset=utf-8"}, page
        return _Answer(status, headers, body)

    def _plan(self, path: str, url: str, page_type: str) -> _Answer:
        key = page_key(url) if url else site_key(path)
        # URL regexes see the manifest's spelling of a page (as chosen() does), whatever the query order asked.
        spelled = self._urls.get(key, (url, page_type))[0]
        now = time.time()
        with self._lock:
            for state in self._rules:
                if not self._matches(state, key, spelled, page_type):
                    continue
                count = state.seen.get(key, 0) + 1
                state.seen[key] = count
                rule = state.rule
                if rule.first is not None and count > rule.first:
                    continue
                if rule.for_seconds is not None and state.started is not None and now - state.started > rule.for_seconds:
                    continue
                answer = self._apply(state, path, url, key, count)
                if answer is None:
                    continue
                if state.started is None:
                    state.started = now
                answer.rule = state.index
                return answer
        return self._clean(path)

    def _apply(self, state: _RuleState, path: str, url: str, key: str, count: int) -> _Answer | None:
        rule = state.rule
        rng = random.Random(f"{self.seed}:{state.index}:{key}:{count}")
        html = {"Content-Type": "text/html; charset=utf-8"}
        if rule.action == "status":
            headers = dict(html)
            if rule.retry_after is not None:
                headers["Retry-After"] = rule.retry_after
            status = rule.status or 503
            return _Answer(status, headers, f"<html><body>{status}</body></html>".encode(), fault=f"status {status}")
        if rule.action in _NEEDS_PAGE:
            page = self._page(path)
            if page is None:
                return None
            point = cut_point(page, rule.at, rng)
            if point is None:
                return None
            if rule.action == "cut":
                return _Answer(200, html, page[:point], fault=f"cut {rule.at} {point}/{len(page)}")
            return _Answer(200, html, page, fault=f"short {point}/{len(page)}", send=point)
        if rule.action == "garbage":
            size = len(self._page(path) or b"") or 4096
            return _Answer(200, html, rng.randbytes(size), fault=f"garbage {size}")
        if rule.action == "empty":
            return _Answer(200, html, b"", fault="empty")
        if rule.action == "challenge":
            status = rule.status or 403
            host = urlsplit(url).hostname if url else "liverc.com"
            body = CHALLENGE_HTML.format(host=host, ray=f"{rng.getrandbits(64):016x}").encode()
            headers = {**html, "Server": "cloudflare", "cf-mitigated": "challenge"}
            return _Answer(status, headers, body, fault=f"challenge {status}")
        if rule.action == "slow":
            answer = self._clean(path)
            answer.delay, answer.fault = rule.seconds, f"slow {rule.seconds:g}s"
            return answer
        if rule.action == "redirect":
            location = self._location(rule.to, path, url, rng)
            status = rule.status or 302
            return _Answer(status, {**html, "Location": location}, b"", fault=f"redirect {status} {rule.to} -> {location}")
        return _Answer(None, fault="drop")  # drop

    def _location(self, to: str, path: str, url: str, rng: random.Random) -> str:
        if to.startswith(("http://", "https://")):
            return to
        if to == "offsite":
            return OFFSITE_URL
        if not url:
            return OFFSITE_URL
        if to == "https":
            return url
        if to == "site":
            return to_site(url, self.site)
        if to == "slash":
            return _toggle_slash(url)
        slug, page_type = host_slug(url), self._page_type_of(url)
        pages = sorted(self._manifest_pages())
        if to == "other-track":
            others = [u for u, t in pages if t == page_type and host_slug(u) != slug]
            if not others:  # a one-track folder: the same page of a track it does not have (a 404 here)
                parts = urlsplit(url)
                return urlunsplit(("https", f"other{slug}.liverc.com", parts.path, parts.query, ""))
        elif to == "other-id":
            others = [u for u, t in pages if t == page_type and host_slug(u) == slug and page_key(u) != page_key(url)]
        else:  # other-type
            others = [u for u, t in pages if t != page_type and host_slug(u) == slug and t]
        if not others:
            return OFFSITE_URL
        return rng.choice(others)

    # -- HTTP ----------------------------------------------------------------------------------
    def _handler_class(self) -> type:
        from http.server import BaseHTTPRequestHandler

        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                track = self.path.lstrip("/").split("/", 1)[0]
                with server._lock:
                    now = server.in_flight[track] = server.in_flight.get(track, 0) + 1
                    server.max_in_flight[track] = max(server.max_in_flight.get(track, 0), now)
                self._track, self._counted = track, True
                try:
                    self._get()
                finally:
                    self._answered()

            def _answered(self) -> None:
                """No longer in flight: called just before the first byte of the answer (or the
                hang-up) goes out. Counting until after the write would count a request the client
                already has whole: the client reads it, starts its next request (a shared-crawl
                worker gives its lease back and another takes it), and this thread, not yet
                scheduled again, has not decremented, so strictly sequential requests were seen
                two at a time on a loaded machine. Before the first byte the client cannot have
                its answer, so every request counted at once really overlapped."""
                if self._counted:
                    self._counted = False
                    with server._lock:
                        server.in_flight[self._track] -= 1

            def _get(self) -> None:
                arrived = time.time()
                try:
                    url = from_site("http://x" + self.path, "http://x")
                    page_type = server._page_type_of(url)
                except BadURL:
                    url, page_type = "", ""
                if self.path.split("?", 1)[0].rstrip("/").endswith("/robots.txt"):
                    page_type = "robots"
                answer = server._plan(self.path, url, page_type)
                entry = FaultLogEntry(arrived, self.path, url, page_type, self.headers.get("Host", ""),
                                      self.headers.get("User-Agent", ""), answer.status, answer.fault, answer.rule)
                with server._lock:
                    server.log.append(entry)
                    n = len(server.log)
                for hook in list(server._hooks):
                    hook(n, entry)
                if answer.delay:
                    time.sleep(answer.delay)
                self._answered()
                if answer.status is None:  # drop
                    entry.bytes_sent = 0
                    self.close_connection = True
                    self._hang_up()
                    return
                self.send_response(answer.status)
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(answer.body)))
                if answer.send is not None:
                    self.send_header("Connection", "close")
                body = answer.body if answer.send is None else answer.body[: answer.send]
                entry.bytes_sent = len(body)  # before the client can have read it (tests read the log then)
                try:
                    self.end_headers()
                    self.wfile.write(body)
                    self.wfile.flush()
                except OSError:  # the client gave up (a timeout during a slow answer)
                    entry.bytes_sent = 0
                    self.close_connection = True
                    return
                if answer.send is not None:  # short: the declared length never arrives
                    self.close_connection = True
                    self._hang_up()

            def _hang_up(self) -> None:
                try:
                    self.connection.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

            def log_message(self, format: str, *args: object) -> None:  # quiet: the log list has it
                pass

        return Handler

    def summary(self) -> dict[str, int]:
        """Faults applied so far, by action."""
        out: dict[str, int] = {}
        for entry in self.faults_applied():
            action = entry.fault.split(" ", 1)[0] if entry.fault else ""
            out[action] = out.get(action, 0) + 1
        return out


__all__ = ["ACTIONS", "CHALLENGE_HTML", "CUT_POINTS", "FaultLogEntry", "FaultRule", "FaultServer", "FaultSpec",
           "OFFSITE_URL", "REDIRECT_TARGETS", "cut_point", "load_fault_spec", "page_key", "parse_fault_spec"]
