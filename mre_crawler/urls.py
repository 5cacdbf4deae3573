"""LiveRC URL builders and readers, and the ``--site`` rewrite for offline replays.

Real LiveRC URLs are the identity of every page: items, ids and stored URLs always use them.
With ``--site http://127.0.0.1:PORT`` the crawler *fetches* ``https://SLUG.liverc.com/PATH?QUERY``
as ``http://127.0.0.1:PORT/SLUG/PATH?QUERY`` (the catalogue ``live.liverc.com`` as ``/live/``).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

CATALOGUE_URL = "https://live.liverc.com/"
_SLUG = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]*$")

PAGE_TYPES = (
    "track_catalogue",
    "track_dashboard",
    "track_events",
    "event",
    "race_result",
    "entry_list",
    "qual_points",
    "heat_sheet",
    "round_ranking",
    "overall_ranking",
    "multi_main",
    "practice_month",
    "practice_day_overview",
    "practice_session",
)


class BadURL(ValueError):
    """A URL that is not a LiveRC page MRE knows."""


def check_slug(slug: str) -> str:
    if not _SLUG.match(slug or ""):
        raise BadURL(f"not a LiveRC track slug: {slug!r}")
    return slug.lower()


def track_base(slug: str) -> str:
    return f"https://{check_slug(slug)}.liverc.com"


def dashboard_url(slug: str) -> str:
    return track_base(slug) + "/"


def events_url(slug: str) -> str:
    return track_base(slug) + "/events/"


def _results(slug: str, p: str, id_: int | str, **extra: str) -> str:
    query = urlencode({"p": p, "id": id_, **extra})
    return f"{track_base(slug)}/results/?{query}"


def event_url(slug: str, event_id: int) -> str:
    return _results(slug, "view_event", event_id)


def race_url(slug: str, race_id: int) -> str:
    return _results(slug, "view_race_result", race_id)


def entry_list_url(slug: str, event_id: int) -> str:
    return _results(slug, "view_entry_list", event_id)


def points_url(slug: str, points_id: int) -> str:
    return _results(slug, "view_points", points_id)


def heat_sheet_url(slug: str, heat_sheet_id: int) -> str:
    return _results(slug, "view_heat_sheet", heat_sheet_id)


def round_ranking_url(slug: str, ranking_id: int, mode: str = "laps_time") -> str:
    return _results(slug, "view_round_ranking", ranking_id, o=mode)


def overall_ranking_url(slug: str, event_id: int) -> str:
    return _results(slug, "event_overall_ranking", event_id)


def multi_main_url(slug: str, multi_main_id: int) -> str:
    return _results(slug, "view_multi_main_result", multi_main_id)


def practice_month_url(slug: str, month: str) -> str:
    if not re.fullmatch(r"\d{4}-\d{2}", month):
        raise BadURL(f"not a YYYY-MM month: {month!r}")
    return f"{track_base(slug)}/practice/?p=calendar&d={month}"


def practice_day_url(slug: str, day: dt.date | str) -> str:
    d = day.isoformat() if isinstance(day, dt.date) else str(day)
    dt.date.fromisoformat(d)
    return f"{track_base(slug)}/practice/?p=session_list&d={d}"


def practice_session_url(slug: str, session_id: int) -> str:
    return f"{track_base(slug)}/practice/?p=view_session&id={int(session_id)}"


@dataclass(frozen=True)
class LiveRCPage:
    """What a LiveRC URL says: the page type and the ids in it."""

    page_type: str
    slug: str | None  # lower case; None for the catalogue
    id: int | None = None  # event, race, points or session id
    day: str | None = None  # practice day YYYY-MM-DD or month YYYY-MM
    url: str = ""


_RESULTS_TYPES = {
    "view_event": "event",
    "view_race_result": "race_result",
    "view_entry_list": "entry_list",
    "view_points": "qual_points",
    "view_heat_sheet": "heat_sheet",
    "view_round_ranking": "round_ranking",
    "event_overall_ranking": "overall_ranking",
    "view_multi_main_result": "multi_main",
}


def host_slug(url: str) -> str | None:
    """The lower-case subdomain of a ``*.liverc.com`` URL (``live`` for the catalogue); None for
    any other host. Protocol-relative links (``//bayrc.liverc.com/``) are allowed."""
    if url.startswith("//"):
        url = "https:" + url
    return _slug_of(urlsplit(url))


def _slug_of(parts) -> str | None:
    host = (parts.hostname or "").lower()
    return host[: -len(".liverc.com")] if host.endswith(".liverc.com") else None


def query_values(query: str) -> dict[str, str]:
    """``{k: v[-1] for k, v in parse_qs(query).items()}``: each parameter's last non-empty value.

    A query with no ``%`` or ``+`` (every LiveRC link) is split directly, which is what parse_qs
    does to it (unquoting changes nothing there), in a third of the time."""
    if "%" in query or "+" in query:
        return {k: v[-1] for k, v in parse_qs(query).items()}
    found: dict[str, str] = {}
    for piece in query.split("&"):
        name, _, value = piece.partition("=")
        if value:  # parse_qs drops fields without "=" and fields with an empty value
            found[name] = value
    return found


def read_url(url: str) -> LiveRCPage:
    """Tell page type, track slug and id from a LiveRC URL (protocol-relative links allowed)."""
    if url.startswith("//"):
        url = "https:" + url
    parts = urlsplit(url)
    slug = _slug_of(parts)
    if slug is None:
        raise BadURL(f"not a liverc.com URL: {url!r}")
    path = parts.path or "/"
    query = query_values(parts.query)
    if slug == "live":
        if path in ("/", ""):
            return LiveRCPage("track_catalogue", None, url=CATALOGUE_URL)
        raise BadURL(f"unknown live.liverc.com page: {url!r}")
    check_slug(slug)
    if path in ("/", ""):
        return LiveRCPage("track_dashboard", slug, url=url)
    if path.rstrip("/") == "/events":
        return LiveRCPage("track_events", slug, url=url)
    if path.rstrip("/") == "/results":
        p = query.get("p")
        if p in _RESULTS_TYPES:
            raw_id = query.get("id", "")
            if not raw_id.isdigit():
                raise BadURL(f"{_RESULTS_TYPES[p]} URL without a numeric id: {url!r}")
            return LiveRCPage(_RESULTS_TYPES[p], slug, id=int(raw_id), url=url)
        raise BadURL(f"unknown results page p={p!r}: {url!r}")
    if path.rstrip("/") == "/practice":
        p = query.get("p")
        if p == "view_session":
            raw_id = query.get("id", "")
            if not raw_id.isdigit():
                raise BadURL(f"practice session URL without a numeric id: {url!r}")
            return LiveRCPage("practice_session", slug, id=int(raw_id), url=url)
        if p == "session_list":
            d = query.get("d", "")
            try:
                dt.date.fromisoformat(d)
            except ValueError:
                raise BadURL(f"practice day URL without a YYYY-MM-DD date: {url!r}") from None
            return LiveRCPage("practice_day_overview", slug, day=d, url=url)
        d = query.get("d")
        if d is not None and not re.fullmatch(r"\d{4}-\d{2}", d):
            raise BadURL(f"practice month URL without a YYYY-MM month: {url!r}")
        return LiveRCPage("practice_month", slug, day=d, url=url)
    raise BadURL(f"unknown LiveRC page: {url!r}")


def absolute(url: str, slug: str) -> str:
    """Make a link found on a page of track ``slug`` absolute (links are relative or ``//host/``)."""
    if url.startswith("//"):
        return "https:" + url
    if url.startswith("/"):
        return track_base(slug) + url
    if url.startswith(("http://", "https://")):
        return url
    return track_base(slug) + "/" + url


def to_site(url: str, site: str | None) -> str:
    """Where to fetch LiveRC ``url`` from: itself, or the replay server ``site``."""
    if not site:
        return url
    parts = urlsplit(url)
    slug = host_slug(url)
    if slug is None:
        raise BadURL(f"not a liverc.com URL: {url!r}")
    base = urlsplit(site.rstrip("/"))
    path = f"{base.path}/{slug}{parts.path or '/'}"
    return urlunsplit((base.scheme, base.netloc, path, parts.query, ""))


def from_site(site_url: str, site: str) -> str:
    """The LiveRC URL a replay-server URL stands for (the inverse of :func:`to_site`)."""
    base = urlsplit(site.rstrip("/"))
    parts = urlsplit(site_url)
    path = parts.path
    if base.path and path.startswith(base.path):
        path = path[len(base.path):]
    m = re.match(r"^/([^/]+)(/.*)?$", path)
    if not m:
        raise BadURL(f"not a replay URL under {site}: {site_url!r}")
    slug, rest = m[1], m[2] or "/"
    return urlunsplit(("https", f"{slug}.liverc.com", rest, parts.query, ""))
