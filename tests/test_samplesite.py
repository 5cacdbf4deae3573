"""The sample-site generator: determinism, the structure it promises, and parse(render(items)) == items."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from pathlib import Path
from zoneinfo import ZoneInfo

import lxml.html
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mre_crawler.cli import main
from mre_crawler.items import STATUS_DNS
from mre_crawler.parsers import parse_page
from mre_crawler.samplesite import (
    SiteParams,
    expected_items,
    expected_page,
    iter_track,
    load_truth,
    read_manifest,
    write_site,
)
from mre_crawler.samplesite.places import PLACES
from mre_crawler.urls import PAGE_TYPES, read_url
from tests.fixtures_samplesite import first_difference


def _digest(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def test_same_seed_writes_identical_bytes(tmp_path):
    params = SiteParams(tracks=2, events=2, seed=99)
    write_site(tmp_path / "a", params)
    write_site(tmp_path / "b", params)
    assert _digest(tmp_path / "a") == _digest(tmp_path / "b")


def test_another_seed_writes_another_site(tmp_path):
    write_site(tmp_path / "a", SiteParams(tracks=1, events=1, seed=1))
    write_site(tmp_path / "b", SiteParams(tracks=1, events=1, seed=2))
    assert _digest(tmp_path / "a")["truth.json"] != _digest(tmp_path / "b")["truth.json"]


def test_manifest_lists_every_page_with_its_liverc_url_and_type(sample_site):
    rows = read_manifest(sample_site.root)
    header = (sample_site.root / "manifest.tsv").read_text(encoding="utf-8").splitlines()[0]
    assert header == "file\turl\tpage_type"
    assert {pt for _, _, pt in rows} == set(PAGE_TYPES)
    for file, url, page_type in rows:
        assert (sample_site.root / file).is_file()
        assert read_url(url).page_type == page_type
    assert ("live/index.html", "https://live.liverc.com/", "track_catalogue") in rows
    assert len({url for _, url, _ in rows}) == len(rows)


def test_catalogue_links_a_mixed_case_slug_while_urls_use_lower_case(sample_site):
    body = (sample_site.root / "live/index.html").read_text(encoding="utf-8")
    assert "//FastLapToyandHobby.liverc.com/" in body
    urls = [url for _, url, _ in read_manifest(sample_site.root)]
    assert any(u.startswith("https://fastlaptoyandhobby.liverc.com/") for u in urls)


def _race(root: Path, truth: dict, race_id: int):
    r = truth["races"][str(race_id)]
    url = f"https://{r['track_slug']}.liverc.com/results/?p=view_race_result&id={race_id}"
    return expected_items(truth, url)[0]


def test_bumped_drivers_start_at_the_back_of_the_next_main(sample_site):
    truth = load_truth(sample_site.root)
    assert truth["bumpups"], "the sample site must contain bump-ups"
    by_target = defaultdict(list)
    for b in truth["bumpups"]:
        by_target[b["target_race_id"]].append(b)
    for target_id, bumps in by_target.items():
        race = _race(sample_site.root, truth, target_id)
        grid_size = len(truth["races"][str(target_id)]["grid"])
        slots = sorted(b["target_grid_position"] for b in bumps)
        # the last N grid slots, N the number bumped up from the race below
        assert slots == list(range(grid_size - len(bumps) + 1, grid_size + 1))
        for b in bumps:
            row = next(r for r in race.results if r.driver_id == b["driver_id"])
            assert row.qual_position == b["target_grid_position"]
            assert b["source_position"] <= len(bumps)
            assert b["target_status"] == row.status
            source = truth["races"][str(b["source_race_id"])]
            assert source["event_id"] == b["event_id"] == truth["races"][str(target_id)]["event_id"]
            if truth["races"][str(target_id)]["session_kind"] == "triple_main_leg":
                assert truth["races"][str(target_id)]["leg"] == 1  # bump-ups go into A1 only


def test_some_driver_bumps_twice_in_one_event(sample_site):
    truth = load_truth(sample_site.root)
    count = defaultdict(int)
    for b in truth["bumpups"]:
        count[(b["event_id"], b["class_name"], b["driver_id"])] += 1
    assert max(count.values()) == 2  # C -> B -> A


def test_event_shapes_cover_ladders_triples_lcqs_and_lone_mains(sample_site):
    truth = load_truth(sample_site.root)
    formats = {c["format"] for e in truth["events"].values() for c in e["classes"]}
    assert formats == {"ladder", "triple", "lcq", "lone"}
    kinds = {r["session_kind"] for r in truth["races"].values()}
    assert kinds == {"heat", "main", "triple_main_leg", "lcq"}
    assert {c["bump_count"] for e in truth["events"].values() for c in e["classes"]} >= {2, 3, 4}
    assert any(c["lcq_label"] == "LCQ" for e in truth["events"].values() for c in e["classes"])


def test_dns_rows_show_bare_zero_and_no_driver_id(sample_site):
    truth = load_truth(sample_site.root)
    checked = 0
    for race_id, r in truth["races"].items():
        if not r["dns"]:
            continue
        tree = lxml.html.fromstring((sample_site.root / r["track_slug"] / f"race-{race_id}.html").read_bytes())
        rows = tree.xpath("//table[contains(@class, 'race_result')]/tbody/tr")
        dns_rows = [row for row in rows if row.findall("td")[3].text_content().strip() == "0"]
        assert len(dns_rows) == r["dns"]
        for row in dns_rows:
            assert not row.xpath(".//a[@data-driver-id]")
            assert [td.text_content().strip() for td in row.findall("td")[5:]] == [""] * 8
        checked += 1
    assert {page_type for _, _, page_type in read_manifest(sample_site.root)} == set(PAGE_TYPES)
    assert checked


def test_lap_times_sum_exactly_to_the_printed_total(sample_site):
    truth = load_truth(sample_site.root)
    for race_id in list(truth["races"])[:40]:
        race = _race(sample_site.root, truth, int(race_id))
        for row in race.results:
            if row.status != STATUS_DNS:
                assert sum(round(lap.lap_time * 1000) for lap in row.lap_list) == round(row.total_time * 1000)
                assert len(row.lap_list) == row.laps


def test_a_practice_session_crosses_midnight_and_belongs_to_its_start_day(sample_site):
    truth = load_truth(sample_site.root)
    crossing = truth["practice"]["cross_midnight"]
    assert crossing
    for c in crossing:
        start, end = dt.datetime.fromisoformat(c["start_local"]), dt.datetime.fromisoformat(c["end_local"])
        assert start.time() >= dt.time(23, 50) and end.date() == start.date() + dt.timedelta(days=1)
        day = expected_items(truth, f"https://{c['track_slug']}.liverc.com/practice/?p=session_list&d={c['date']}")[0]
        assert c["session_id"] in {s.session_id for s in day.sessions}


def test_practice_days_include_the_zones_dst_changes(sample_site):
    truth = load_truth(sample_site.root)
    assert truth["practice"]["dst_days"]
    for d in truth["practice"]["dst_days"]:
        zone, day = ZoneInfo(d["zone"]), dt.date.fromisoformat(d["date"])
        before = dt.datetime.combine(day - dt.timedelta(days=1), dt.time(12), zone).utcoffset()
        after = dt.datetime.combine(day, dt.time(12), zone).utcoffset()
        assert (after > before) == (d["kind"] == "spring_forward") and after != before
        session = expected_items(truth, f"https://{d['track_slug']}.liverc.com/practice/?p=view_session&id={d['session_id']}")[0]
        change = dt.datetime.combine(day, dt.time.fromisoformat(d["change_local"]))
        assert session.start_local < change < session.laps[-1].end_local


def test_practice_has_shared_and_multiple_transponders_and_unknown_drivers(sample_site):
    truth = load_truth(sample_site.root)
    drivers_by_transponder = defaultdict(set)
    transponders_by_driver = defaultdict(set)
    for file, url, page_type in read_manifest(sample_site.root):
        if page_type == "practice_session":
            s = expected_items(truth, url)[0]
            drivers_by_transponder[(s.track_slug, s.transponder)].add(s.driver_name)
            transponders_by_driver[(s.track_slug, s.driver_name)].add(s.transponder)
    assert max(len(v) for v in drivers_by_transponder.values()) >= 3
    assert max(len(v) for k, v in transponders_by_driver.items() if k[1] != "Unknown Driver") >= 3
    assert truth["practice"]["unknown_driver_sessions"]


def test_practice_stats_are_computed_as_liverc_does(sample_site):
    truth = load_truth(sample_site.root)
    for file, url, page_type in read_manifest(sample_site.root):
        if page_type != "practice_day_overview":
            continue
        day = expected_items(truth, url)[0]
        assert day.stats.unique_drivers == len({s.driver_name for s in day.sessions} - {"Unknown Driver"})
        assert day.stats.unique_classes == len({s.class_name for s in day.sessions})
        assert day.stats.total_laps == sum(s.laps for s in day.sessions)
        assert day.stats.total_track_time_seconds == round(sum(s.laps * s.avg_lap for s in day.sessions))


def test_track_addresses_span_countries_and_zones():
    zones = {p.zone for p in PLACES}
    assert {"Australia/Sydney", "Australia/Melbourne", "Australia/Brisbane", "Australia/Perth",
            "America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles",
            "America/Phoenix", "Europe/London", "Pacific/Auckland", "America/Edmonton"} <= zones


# --- the command ------------------------------------------------------------------------------
def test_sample_site_command_prints_a_summary_and_rewrites_its_own_output(tmp_path, capsys):
    out = tmp_path / "site"
    assert main(["sample-site", str(out), "--tracks", "1", "--events", "1", "--seed", "3"]) == 0
    printed = capsys.readouterr().out
    assert "race_result" in printed and "bump-ups" in printed
    assert main(["sample-site", str(out), "--tracks", "1", "--events", "2", "--seed", "3"]) == 0
    assert load_truth(out)["params"]["events"] == 2


def test_sample_site_command_refuses_a_folder_it_did_not_write(tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("keep me")
    assert main(["sample-site", str(tmp_path), "--tracks", "1", "--events", "1"]) == 2
    assert "not a previous sample site" in capsys.readouterr().err
    assert (tmp_path / "notes.txt").read_text() == "keep me"


# --- round trip: parse(render(items)) == items ------------------------------------------------
def _round_trip(page) -> str | None:
    result = parse_page(page.html().encode("utf-8"), page.url, page.page_type, page.meta)
    if result.problems:
        return f"{page.url}: problems {[str(p) for p in result.problems[:3]]}"
    diff = first_difference(result.items, page.items)
    return f"{page.url}: {diff}" if diff else None


def test_every_page_of_the_written_site_parses_back_to_the_generators_items(sample_site):
    truth = load_truth(sample_site.root)
    failures = []
    checked = 0
    for file, url, page_type in read_manifest(sample_site.root):
        _, meta, expected = expected_page(truth, url)
        result = parse_page((sample_site.root / file).read_bytes(), url, page_type, meta)
        diff = first_difference(result.items, expected)
        if diff or result.problems:
            failures.append(f"{url}: {diff or [str(p) for p in result.problems[:2]]}")
        checked += 1
    assert checked
    assert not failures, "\n".join(failures[:10])


UK_TRACK = next(i for i, p in enumerate(PLACES) if p.country_code == "GB")
ROUND_TRIP_TRACKS = [i for i in range(len(PLACES)) if i != UK_TRACK]


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**31), track=st.sampled_from(ROUND_TRIP_TRACKS))
def test_round_trip_holds_across_seeds_and_tracks(seed, track):
    params = SiteParams(tracks=track + 1, events=1, seed=seed, practice_days=2, classes_per_event=(1, 3),
                        drivers_per_class=(6, 26))
    failures = [f for page in iter_track(params, track) for f in [_round_trip(page)] if f]
    assert not failures, "\n".join(failures[:5])


def test_round_trip_of_a_uk_dashboard_address():
    params = SiteParams(tracks=UK_TRACK + 1, events=0, seed=1, practice_days=0)
    page = next(p for p in iter_track(params, UK_TRACK) if p.page_type == "track_dashboard")
    assert _round_trip(page) is None
