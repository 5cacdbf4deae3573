"""Multi-main results (FIELD-GUIDE §11.2): generated pages parse back to the generator's items in
every layout variant §11 lists, and a page that does not fit raises (quarantine) with its reason.

No real copy of this page type exists (§11.7), so every page here is generated."""

from __future__ import annotations

import random

import pytest

from mre_crawler import urls
from mre_crawler.errors import IncompletePage, PageError
from mre_crawler.parsers import parse_page
from mre_crawler.samplesite.multimain import PageStyle, render_multi_main, scripted_multi_main
from mre_crawler.samplesite.site import SiteParams, iter_site

URL = urls.multi_main_url("sampletrack", 900_001)


def _page(x, style=PageStyle()) -> bytes:
    return render_multi_main(x, track_name="Sample Raceway", event_name="Winter Nationals",
                             date_text="Nov 16, 2025", style=style).encode()


def test_generated_sites_multi_main_pages_parse_to_the_generators_items_across_seeds():
    seen = set()
    pages = 0
    for seed in range(15):
        for page in iter_site(SiteParams(tracks=1, events=3, seed=seed, practice_days=0)):
            if page.page_type != "multi_main":
                continue
            result = parse_page(page.html().encode(), page.url, meta=page.meta)
            assert result.items == page.items, page.url
            assert result.problems == []
            x = page.items[0]
            pages += 1
            seen.add(x.tie_breaker_rule)
            seen |= {"sat_out" for r in x.rows for g in r.legs if g.sat_out}
            seen |= {"DNF" for r in x.rows for g in r.legs if g.flag == "DNF"}
    assert pages >= 10 and {"IFMAR", "ROAR", "sat_out"} <= seen


@pytest.mark.parametrize("seed", range(120))
def test_scripted_multi_mains_round_trip_in_every_layout(seed):
    """Double and triple, A/B/C legs, reduced finals (blank leg columns), sat-out ``0/0.000``
    cells, "Pos"/"Position", the sub-header on one line, hidden sort keys, blank Seeded cells."""
    rng = random.Random(seed)
    scheduled = rng.choice((2, 3, 3))
    completed = rng.choice((*range(scheduled + 1), scheduled, scheduled))
    x = scripted_multi_main(seed, letter=rng.choice("ABC"), scheduled=scheduled, completed=completed)
    style = PageStyle(pos_header=("Pos", "Position")[seed % 2], one_line_sub_header=seed % 3 == 0,
                      hidden_keys=seed % 4 < 2)
    result = parse_page(_page(x, style), URL, meta={"event_id": 1000})
    assert result.items == [x]
    assert result.problems == []


def test_a_b_page_reads_b1_to_b3_and_the_rule_and_completed_count():
    x = scripted_multi_main(7, letter="B", scheduled=3, completed=2, rule="ROAR")
    got = parse_page(_page(x, PageStyle(one_line_sub_header=True)), URL, meta={"event_id": 1000}).item
    assert (got.main_letter, got.leg_labels, got.tie_breaker_rule, got.completed_legs, got.scheduled_legs) == (
        "B", ["B1", "B2", "B3"], "ROAR", 2, 3)
    assert all(r.legs[2].place is None and r.legs[2].sat_out for r in got.rows)  # B3 never ran: blank


def test_a_sat_out_cell_and_a_dnf_with_laps():
    x = scripted_multi_main(3)
    body = _page(x).decode()
    cell = "3rd (3pts) : 0/0.000"
    dnf = "2nd (2pts) : 3/2:05.998 (DNF)"
    first = x.rows[0]
    cells = [c for c in body.split("<td>") if c.startswith(("1st", "2nd", "3rd", "4th", "5th", "6th", "7th"))]
    body = body.replace(cells[0].split("</td>")[0], cell, 1).replace(cells[1].split("</td>")[0], dnf, 1)
    got = parse_page(body.encode(), URL, meta={"event_id": 1000}).item
    legs = [g for r in got.rows for g in r.legs if g.place is not None]
    assert (legs[0].place, legs[0].leg_points, legs[0].laps, legs[0].sat_out) == (3, 3, 0, True)
    assert (legs[1].laps, legs[1].total_time, legs[1].flag, legs[1].sat_out) == (3, 125.998, "DNF", False)
    assert first.driver_name == got.rows[0].driver_name


def _broken(change) -> bytes:
    return change(_page(scripted_multi_main(5, scheduled=3, completed=3)).decode()).encode()


@pytest.mark.parametrize(("change", "error", "reason"), [
    (lambda b: b.replace("multi_main", "leaderboard"), PageError, "no table.multi_main"),
    (lambda b: b.replace("<th>Points</th>", "<th>Total</th>"), PageError, "missing ['points']"),
    (lambda b: b.replace("<th>A2</th>", "<th>B2</th>"), PageError, "leg column 'B2' on a A-main page"),
    (lambda b: b.replace("<th>A3</th>", "<th>A4</th>"), PageError, "are not A1..A3"),
    (lambda b: b.replace("Completed: 3 of 3", "Completed: 3 of 4"), PageError, "but 3 leg columns"),
    (lambda b: b.replace("pts) : ", "pts) - ", 1), PageError, "is not 'Nth (Npts) : laps/time'"),
    (lambda b: b.replace("<tr><td>2</td>", "<tr><td>x</td>", 1), PageError, "row 2"),
    (lambda b: b.replace("<tr><td>2</td>", "<tr><td>9</td>", 1), IncompletePage, "do not run 1.."),
    (lambda b: b.replace("Completed: 3 of 3", "Completed: 2 of 3"), PageError, "'Completed: 2' but"),
])
def test_a_page_that_does_not_fit_raises_with_its_reason(change, error, reason):
    with pytest.raises(error) as exc:
        parse_page(_broken(change), URL, meta={"event_id": 1000})
    assert reason in str(exc.value)


def test_a_missing_sub_header_is_a_problem_not_a_failure():
    body = _broken(lambda b: b.replace("Tie Breaker: ", "Rule: "))
    result = parse_page(body, URL, meta={"event_id": 1000})
    assert result.item.tie_breaker_rule is None
    assert [p.field for p in result.problems] == ["multi_main.tie_breaker_rule"]


def test_event_page_links_with_percent_encoded_underscores_read_as_the_plain_link():
    """FIELD-GUIDE §11.1: hrefs may read ``view%5Fmulti%5Fmain%5Fresult``; the link keeps the URL the
    crawl requests and the store files pages under."""
    page = next(p for p in iter_site(SiteParams(tracks=1, events=2, seed=11, practice_days=0))
                if p.page_type == "event" and any(l.kind == "multi_main" for l in p.items[0].links))
    body = page.html().replace("p=view_multi_main_result", "p=view%5Fmulti%5Fmain%5Fresult")
    assert "view%5Fmulti" in body
    got = parse_page(body.encode(), page.url, meta=page.meta).item
    assert got.links == page.items[0].links
