"""The ids a page does not show itself: from the crawler's ``meta``, else from a LiveRC URL.

No LiveRC page states its own URL or id (FIELD-GUIDE §0, §12.15), so the spider carries
``track_slug``, ``event_id``, ``race_id`` ... in the request meta. Where meta lacks one, a LiveRC
URL still says it (``https://<slug>.liverc.com/results/?p=view_race_result&id=<race_id>``).
A required id that neither gives is a :class:`PageError`: the items would have no natural key.
Only ``meta["inspect"]`` (set by ``mre parse``, which stores nothing) turns that into a problem
and a ``None`` id, so a user can still read a saved page whose URL they do not know.
A missing track slug is ``""`` plus a problem (as in ``common.page_track_slug``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from mre_crawler.parsers.base import ParseContext
from mre_crawler.urls import BadURL, check_slug, read_url

# Which meta key the id in a LiveRC URL of each page type stands for.
_URL_ID_KEY = {
    "event": "event_id",
    "race_result": "race_id",
    "entry_list": "event_id",
    "qual_points": "points_id",
    "heat_sheet": "heat_sheet_id",
    "round_ranking": "ranking_id",
    "overall_ranking": "event_id",
    "multi_main": "multi_main_id",
    "practice_session": "session_id",
}


def ids_from_url(url: str) -> dict[str, Any]:
    """``track_slug`` and the page's own id from a LiveRC URL; empty for any other URL."""
    try:
        page = read_url(url)
    except BadURL:
        return {}
    found: dict[str, Any] = {}
    if page.slug:
        found["track_slug"] = page.slug
    key = _URL_ID_KEY.get(page.page_type)
    if key and page.id is not None:
        found[key] = page.id
    return found


def page_ids(
    ctx: ParseContext,
    page_type: str,
    required: Iterable[str] = (),
    optional: Iterable[str] = (),
) -> dict[str, Any]:
    """The ids for this page: meta first, then the URL; a missing required id raises PageError.

    When meta and URL disagree, meta wins (the spider knows what it asked for) and a problem is
    recorded. Ids are returned as int, the track slug folded to lower case.
    """
    from_url = ids_from_url(ctx.url)
    found: dict[str, Any] = {}
    for key in (*required, *optional):
        value = ctx.meta.get(key)
        if value is None or value == "":
            value = from_url.get(key)
        elif key in from_url and str(from_url[key]).lower() != str(value).lower():
            ctx.problem(f"meta.{key}", str(value), f"meta says {value!r}, the URL says {from_url[key]!r}; meta used")
        if (value is None or value == "") and key == "track_slug":
            # Same rule as common.page_track_slug: never file a page under a guessed track.
            ctx.problem("track_slug", None, "no track_slug in meta and no <slug>.liverc.com host in the URL")
            found[key] = ""
            continue
        if value is None or value == "":
            if key in required and not ctx.meta.get("inspect"):
                raise ctx.fail(f"no {key}: pass it in meta or parse with the page's LiveRC URL", key)
            if key in required:
                # `mre parse` without --url: show the page's items anyway, the missing key named.
                ctx.problem(key, None, "not on the page and no LiveRC URL given (use --url)")
            found[key] = None
            continue
        try:
            found[key] = check_slug(str(value)) if key == "track_slug" else int(value)
        except (ValueError, TypeError):
            raise ctx.fail(f"{key} {value!r} is not valid", key) from None
    return found
