"""Heat sheets, round rankings and the overall final ranking (FIELD-GUIDE §11.3-§11.5).

No real copy of these pages exists, so every expectation is the sample-site generator's truth (the
items a page carries, built from the race results the race pages show), across many seeds and
every layout variant §11 lists; pages that do not fit must fail with their reason.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import asdict

import pytest

from mre_crawler.errors import IncompletePage, PageError, WrongPageType
from mre_crawler.parsers import parse_page
from mre_crawler.samplesite.site import SiteParams, iter_site

TYPES = ("heat_sheet", "round_ranking", "overall_ranking")


def _pages(seeds=range(12)):
    for seed in seeds:
        for p in iter_site(SiteParams(2, 3, seed, practice_days=0)):
            if p.page_type in TYPES:
                yield seed, p


@pytest.fixture(scope="module")
def pages():
    return [(seed, p, p._render()) for seed, p in _pages()]


def test_every_page_round_trips_to_the_generator_truth(pages):
    counts = Counter()
    for seed, p, html in pages:
        result = parse_page(html.encode(), p.url, p.page_type, p.meta)
        assert [asdict(x) for x in result.items] == [asdict(x) for x in p.items], (seed, p.url)
        assert result.problems == [], (seed, p.url)
        counts[p.page_type] += 1
    assert all(counts[t] >= 30 for t in TYPES), counts


def test_the_variants_section_11_lists_all_occur(pages):
    seen = Counter()
    for _, p, html in pages:
        seen["Position"] += "<th>Position</th>" in html
        seen["Pos"] += "<th>Pos</th>" in html
        seen["encoded"] += "view%5Frace%5Fresult" in html
        seen["tabs"] += 'data-toggle="tab"' in html
        seen["stacked"] += 'data-toggle="tab"' not in html
        if p.page_type == "heat_sheet":
            seen["not_started"] += "Status: Not Started" in html
            seen["no_tx"] += "Tx #" not in html
        if p.page_type == "round_ranking":
            seen["blank_metric"] += '<div class="hidden">9999</div></td>' in html
            seen[f"mode:{p.items[0].mode}"] += 1
        if p.page_type == "overall_ranking":
            seen["multi_main_result"] += bool(re.search(r"\[\d+\] \[\d+\] \d+/", html))
    for key in ("Position", "Pos", "encoded", "tabs", "stacked", "not_started", "no_tx", "blank_metric",
                "mode:laps_time", "mode:top_3_consecutive", "mode:fastest_lap", "mode:avg_top_5",
                "multi_main_result"):
        assert seen[key] > 0, (key, seen)


def test_column_order_follows_the_ranking_mode(pages):
    headers = {"laps_time": "Laps/Time", "top_3_consecutive": "Top 3 Consecutive", "fastest_lap": "Fastest Lap",
               "avg_top_5": "Top 5 Average"}
    for _, p, html in pages:
        if p.page_type != "round_ranking":
            continue
        parsed = parse_page(html.encode(), p.url, p.page_type, p.meta).item
        assert parsed.columns[0] == headers[parsed.mode]
        # the sort key of each metric cell is on the page, and no parsed value carries it
        assert '<div class="hidden">' in html


def test_mains_grids_put_bump_ups_at_the_back():
    truth_checked = 0
    from mre_crawler.samplesite.site import Truth

    for seed in range(6):
        truth = Truth()
        pages = list(iter_site(SiteParams(2, 3, seed, practice_days=0), truth))
        sheets = [p.items[0] for p in pages if p.page_type == "heat_sheet" and p.items[0].round_name == "Main Events"]
        by_race = {r.race_id: r for s in sheets for r in s.races if r.race_id is not None}
        for b in truth.bumpups:
            race = by_race.get(b["target_race_id"])
            if race is None:
                continue  # the sheet was captured before that main ran
            slot = next(e for e in race.entries if e.driver_name == b["driver_name"])
            movers = sum(1 for x in truth.bumpups if x["target_race_id"] == b["target_race_id"])
            assert slot.grid_position > len(race.entries) - movers
            truth_checked += 1
    assert truth_checked > 20


def _first(pages, page_type):
    return next((p, html) for _, p, html in pages if p.page_type == page_type)


@pytest.mark.parametrize("page_type,old,new,error,reason", [
    ("heat_sheet", "Car # / Driver", "Racer", PageError, "no \\['driver'\\] column"),
    ("round_ranking", "<th>Heat</th>", "<th>Race</th>", PageError, "no ranking table"),
    ("round_ranking", "<th>Driver</th>", "<th>Name</th>", PageError, "no ranking table"),
    ("overall_ranking", "<th>Result</th>", "<th>Score</th>", PageError, "no overall ranking table"),
])
def test_a_page_that_does_not_fit_fails_with_its_reason(pages, page_type, old, new, error, reason):
    p, html = _first(pages, page_type)
    assert old in html
    with pytest.raises(error, match=reason):
        parse_page(html.replace(old, new).encode(), p.url, page_type, p.meta)


@pytest.mark.parametrize("page_type", TYPES)
def test_a_row_cut_short_or_missing_is_not_whole(pages, page_type):
    import lxml.html

    p, html = _first(pages, page_type)
    # drop the last cell of the first body row: the row is short of the header's columns
    tree = lxml.html.document_fromstring(html)
    row = next(tr for tr in tree.iter("tr") if tr.findall("td") and tr.getparent().tag == "tbody")
    row.remove(row.findall("td")[-1])
    cut = lxml.html.tostring(tree, encoding="unicode", doctype="<!DOCTYPE html>")
    with pytest.raises(IncompletePage):
        parse_page(cut.encode(), p.url, page_type, p.meta)


@pytest.mark.parametrize("page_type", ("round_ranking", "overall_ranking"))
def test_a_missing_position_is_not_whole(pages, page_type):
    p, html = _first(pages, page_type)
    rows = re.findall(r"<tr>\n<td>\d+</td>.*?</tr>\n", html, flags=re.S)
    assert len(rows) >= 3
    with pytest.raises(IncompletePage, match="positions are not"):
        parse_page(html.replace(rows[1], "", 1).encode(), p.url, page_type, p.meta)


@pytest.mark.parametrize("page_type", TYPES)
def test_another_page_type_at_the_url_is_refused(pages, page_type):
    p, _ = _first(pages, page_type)
    race = next(html for _, q, html in [(0, q, q._render()) for q in iter_site(SiteParams(1, 1, 0, practice_days=0))
                                        if q.page_type == "race_result"])
    with pytest.raises(WrongPageType, match="race_result"):
        parse_page(race.encode(), p.url, page_type, p.meta)


def test_detection_names_each_page_type_without_its_url(pages):
    from mre_crawler.parsers.detect import detect_page_type

    for page_type in TYPES:
        _, html = _first(pages, page_type)
        assert detect_page_type(html.encode(), None) == page_type
