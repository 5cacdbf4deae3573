"""Completeness before trust (issue 9): each rule that makes a page "not whole", on real LiveRC
pages (../shared/liverc) and on generated ones, and that every whole page passes them all."""

from __future__ import annotations

import gzip
import re

import pytest

from mre_crawler.completeness import cut_reason, ends_whole
from mre_crawler.errors import IncompletePage
from mre_crawler.parsers import parse_page
from mre_crawler.samplesite import SiteParams, iter_track

A_MAIN = "race-6304829.html"
ENTRY_LIST = "entry-list-silverstate-2025-silver-state.html"
DAY = "practice-day-overview-canberraoffroad-2025-10-25.html"
SESSION = "practice-session-21289501.html"
POINTS = "qual-points-psycho-nitro-blast-2026.html"
IDS = {"track_slug": "canberraoffroad", "race_id": 6304829, "event_id": 486677}


def _meta(page) -> dict:
    slug = page.url.split("//", 1)[1].split(".", 1)[0]
    meta = {"track_slug": "unknown" if slug == "UNKNOWN" else slug}
    tail = page.url.rsplit("=", 1)[-1]
    key = {"race_result": "race_id", "practice_session": "session_id", "event": "event_id",
           "entry_list": "event_id", "qual_points": "points_id"}.get(page.page_type)
    if key:
        meta[key] = int(tail) if tail.isdigit() else 1
    return meta


def _parse(page, body: bytes):
    return parse_page(body, page.url, page.page_type, _meta(page))


def _without_row(body: bytes, name: bytes) -> tuple[bytes, int, int]:
    """(body without the results row of driver ``name``, where the row started, where it ended)."""
    table = body.rfind(b'<table class="table table-striped race_result"')
    at = body.index(name, table)
    start, end = body.rfind(b"<tr", table, at), body.index(b"</tr>", at) + len(b"</tr>")
    return body[:start] + body[end:], start, end


# --- the body: it ends with </html> and agrees with Content-Length --------------------------------
@pytest.mark.liverc
def test_every_real_page_is_whole_and_parses(liverc) -> None:
    for page in liverc.values():
        assert ends_whole(page.body), page.file
        assert cut_reason(page.body, {"Content-Length": str(len(page.body))}) is None, page.file
        _parse(page, page.body)  # no IncompletePage on any real page


@pytest.mark.liverc
@pytest.mark.parametrize("share", [0.5, 0.85, 0.95, 0.999])
def test_a_real_page_cut_short_is_not_whole(liverc, share) -> None:
    for page in liverc.values():
        body = page.body[: int(len(page.body) * share)]
        with pytest.raises(IncompletePage, match="ends before </html>"):
            _parse(page, body)
        assert cut_reason(body, {"Content-Length": str(len(body))}) == "the body ends before </html>"


@pytest.mark.liverc
def test_a_race_page_cut_inside_its_lap_script_or_its_table_is_not_whole(liverc) -> None:
    page = liverc[A_MAIN]
    in_script = page.body.index(b"racerLaps[152729]") + 40
    in_table = page.body.index(b"JIMMY HORNE", page.body.rfind(b"race_result\" cellspacing")) + 5
    for cut in (in_script, in_table):
        with pytest.raises(IncompletePage, match="ends before </html>"):
            _parse(page, page.body[:cut])


def test_content_length_and_compressed_bodies() -> None:
    page = b"<html><body>" + b"x" * 5000 + b"</body></html>\n"
    assert cut_reason(page, {"Content-Length": str(len(page) + 1)}) == f"Content-Length says {len(page) + 1} bytes, the body has {len(page)}"
    assert cut_reason(page, {"Content-Length": str(len(page))}) is None
    assert cut_reason(page) is None
    packed = gzip.compress(page)
    assert cut_reason(packed, {"Content-Encoding": "gzip", "Content-Length": str(len(packed))}) is None
    half = packed[: len(packed) // 2]
    assert cut_reason(half, {"Content-Encoding": "gzip"}) == "the gzip stream ends early"
    assert cut_reason(gzip.compress(page[:-20]), {"Content-Encoding": "gzip"}) == "the body ends before </html>"
    # Not decoded here (no brotli check): only the Content-Length rule applies.
    assert cut_reason(b"\x8b\x00", {"Content-Encoding": "br"}) is None


# --- the content: rows against the header, racerLaps and the page's own totals -------------------
@pytest.mark.liverc
def test_a_results_row_short_of_cells_is_not_whole(liverc) -> None:
    page = liverc[A_MAIN]
    body, start, end = _without_row(page.body, b"JIMMY HORNE")
    row = page.body[start:end]
    short = row[: row.index(b"<td>4</td>")] + b"</tr>"  # Pos and Driver only
    with pytest.raises(IncompletePage, match="results row 3 has 2 cells, the header has 13"):
        _parse(page, body[:start] + short + body[start:])


@pytest.mark.liverc
def test_a_racer_laps_driver_without_a_row_is_not_whole(liverc) -> None:
    page = liverc[A_MAIN]
    body, _, _ = _without_row(page.body, b"JIMMY HORNE")
    with pytest.raises(IncompletePage, match="racerLaps lists 12 drivers, the results table has 11 rows"):
        _parse(page, body)


@pytest.mark.liverc
def test_a_row_without_its_racer_laps_block_is_not_whole(liverc) -> None:
    page = liverc[A_MAIN]
    start = page.body.index(b"racerLaps[152729] = {")
    end = page.body.index(b"};", start) + 2
    with pytest.raises(IncompletePage, match="racerLaps lists 11 drivers, the results table has 12 rows"):
        _parse(page, page.body[:start] + page.body[end:])
    # Same count, but the block belongs to a driver no row carries: JIMMY HORNE's row has none.
    swapped = page.body[:start] + page.body[start:end].replace(b"152729", b"999999") + page.body[end:]
    with pytest.raises(IncompletePage, match=r"row 3 \(JIMMY HORNE, id 152729\) has no racerLaps block"):
        _parse(page, swapped)


@pytest.mark.liverc
def test_the_dns_row_is_paired_with_its_racer_laps_block_by_position(liverc) -> None:
    # RILEY LANDER (row 12) has no data-driver-id; racerLaps[731648] is the 12th block. Not a
    # "driver without a row": the DNS row takes it (FIELD-GUIDE §5.2).
    race = _parse(liverc[A_MAIN], liverc[A_MAIN].body).item
    dns = race.results[11]
    assert (dns.driver_name, dns.driver_id, dns.driver_id_source) == ("RILEY LANDER", 731648, "racer_laps")


def without_row(body: bytes, marker: bytes) -> bytes:
    """The page with the table row that holds ``marker`` taken out."""
    at = body.index(marker)
    start, end = body.rfind(b"<tr", 0, at), body.index(b"</tr>", at) + len(b"</tr>")
    return body[:start] + body[end:]


@pytest.mark.liverc
def test_an_entry_list_class_missing_a_row_is_not_whole(liverc) -> None:
    page = liverc[ENTRY_LIST]
    with pytest.raises(IncompletePage, match="says Entries: 30, its table has 29 rows"):
        _parse(page, without_row(page.body, b"RICHARD BRATTON"))


@pytest.mark.liverc
def test_a_practice_day_whose_sessions_contradict_its_total_laps_is_not_whole(liverc) -> None:
    page = liverc[DAY]
    with pytest.raises(IncompletePage, match="Practice Stats says 487 total laps, the 55 sessions listed add up to 478"):
        _parse(page, without_row(page.body, b"p=view_session&id=21290331"))


@pytest.mark.liverc
def test_a_practice_session_whose_laps_contradict_num_laps_is_not_whole(liverc) -> None:
    page = liverc[SESSION]
    body = re.sub(rb"(<th>\s*Num Laps\s*</th>\s*<td>\s*)5", rb"\g<1>6", page.body, count=1)
    assert body != page.body
    with pytest.raises(IncompletePage, match="Num Laps says 6, the page lists 5 laps"):
        _parse(page, body)


@pytest.mark.liverc
def test_a_points_row_short_of_cells_is_not_whole(liverc) -> None:
    page = liverc[POINTS]
    table = page.body.index(b"leaderboard_points")
    row = page.body.index(b"<tr", page.body.index(b"<tbody", table))
    cells = page.body.index(b"<td", page.body.index(b"</td>", row))  # keep the first cell only
    end = page.body.index(b"</tr>", row)
    with pytest.raises(IncompletePage, match="a points row has 1 cells"):
        _parse(page, page.body[:cells] + page.body[end:])


# --- generated pages: whole ones pass, cut ones do not ---------------------------------------------
@pytest.fixture(scope="module")
def generated_pages():
    pages = {}
    for page in iter_track(SiteParams(tracks=1, events=2, seed=7, practice_days=2), 0):
        pages.setdefault(page.page_type, page)
    return pages


def test_generated_pages_are_whole_and_cut_ones_are_not(generated_pages) -> None:
    assert {"race_result", "entry_list", "practice_day_overview", "practice_session", "event"} <= set(generated_pages)
    for page_type, page in generated_pages.items():
        body = page.html().encode("utf-8")
        assert ends_whole(body), page_type
        parse_page(body, page.url, page_type, page.meta)
        with pytest.raises(IncompletePage):
            parse_page(body[: int(len(body) * 0.85)], page.url, page_type, page.meta)


def test_a_generated_race_missing_a_row_or_a_racer_laps_block_is_not_whole(generated_pages) -> None:
    page = generated_pages["race_result"]
    body = page.html().encode("utf-8")
    table = body.rfind(b"race_result")
    first_row = body.index(b"<tr", body.index(b"<tbody", table))
    without_row = body[:first_row] + body[body.index(b"</tr>", first_row) + 5:]
    with pytest.raises(IncompletePage, match="racerLaps lists"):
        parse_page(without_row, page.url, "race_result", page.meta)
    block = body.index(b"racerLaps[")
    without_block = body[:block] + body[body.index(b"};", block) + 2:]
    with pytest.raises(IncompletePage, match="racerLaps lists"):
        parse_page(without_block, page.url, "race_result", page.meta)
