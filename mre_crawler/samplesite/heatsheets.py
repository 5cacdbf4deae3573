"""Generated heat sheets, round rankings and the overall final ranking (FIELD-GUIDE §11.3-§11.5).

No saved copy of these pages exists, so the markup follows §11 and draws the variants it lists per
event (its own seeded stream, so the other pages of a site keep their bytes): "Pos" or "Position",
percent-encoded underscores in links (``view%5Frace%5Fresult``), a transponder column or none,
class tabs or stacked class tables, blank metrics, and a Main Events sheet captured before the top
mains ran ("Status: Not Started", no result link) or edited after they ran (organisers rebuild
mains mid-event: the sheet's grid then differs from the race's own).

Truth is the items each page carries; every figure comes from the race results the race pages show,
so rankings are consistent with the heats and mains, and the mains' grids put bump-ups at the back
(they are the grids :mod:`mre_crawler.samplesite.events` ran the races with).
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

from mre_crawler import urls
from mre_crawler.heat_items import (
    HeatSheet, HeatSheetRace, LineupEntry, OverallRanking, OverallRow, RankingRow, RoundRanking,
)
from mre_crawler.items import STATUS_DNS, RaceResult
from mre_crawler.parsers.heat_sheet import MAIN_LABEL
from mre_crawler.samplesite.render import breadcrumb, class_slug, h, page
from mre_crawler.samplesite.racing import mss, secs3

if TYPE_CHECKING:
    from mre_crawler.samplesite.events import EventBuild, RaceSpec

# o= value -> the header of the metric it sorts by (FIELD-GUIDE §11.4)
MODE_HEADERS = {
    "laps_time": "Laps/Time",
    "top_2_consecutive": "Top 2 Consecutive",
    "top_3_consecutive": "Top 3 Consecutive",
    "avg_top_5": "Top 5 Average",
    "fastest_lap": "Fastest Lap",
}
METRICS = ("Laps/Time", "Top 2 Consecutive", "Top 3 Consecutive", "Top 5 Average", "Fastest Lap", "Avg Lap")
_MODES = ("laps_time", "laps_time", "laps_time", "top_3_consecutive", "fastest_lap", "avg_top_5")


def ranking_mode(ranking_id: int) -> str:
    """The ranking mode a round is configured with; the event page's link carries it as ``o=``."""
    return _MODES[(ranking_id * 2654435761 >> 7) % len(_MODES)]


def _variants(event_id: int) -> dict[str, object]:
    rng = random.Random(f"heatrank:{event_id}")
    return {
        "pos": rng.choice(("Pos", "Pos", "Position")),
        "encoded": rng.random() < 0.3,
        "transponders": rng.random() < 0.7,
        "brand": rng.random() < 0.5,
        "tabs": rng.random() < 0.6,
        "hidden_names": rng.random() < 0.4,
        "race_links": rng.random() < 0.6,
        "main_word": rng.choice(("{t} Main", "{t}-Main", "{t} Main")),
        # the Main Events sheet: as run (most), captured before the top mains ran, or edited after
        "mains_sheet": rng.choices(("as_run", "not_started", "edited"), (0.6, 0.2, 0.2))[0],
        "rng": rng,
    }


def _race_href(race_id: int, encoded: bool) -> str:
    return (f"/results/?p=view%5Frace%5Fresult&amp;id={race_id}" if encoded
            else f"/results/?p=view_race_result&amp;id={race_id}")


def _label(spec: RaceSpec) -> str:
    return " ".join(spec.race_name.split())


def _label_class(spec: RaceSpec) -> str | None:
    """The class a sheet's race label names, read as FIELD-GUIDE §11.3 says the header is written:
    "<Class> (Heat k/n)" or "<Class> A-Main". Other labels (bracket and LCQ labels of
    ``formats="every"``: "Semi A (Odd)", "<Class> 1/8 Odd Final") name none on the sheet; a
    placeholder's "Lunch Break A-Main" names "Lunch Break"."""
    label = _label(spec)
    if spec.heat and label.startswith(spec.cls.name):
        return spec.cls.name
    m = MAIN_LABEL.match(label)
    return m["cls"] if m else None


# ---------------------------------------------------------------------------------------------
# Heat sheets
# ---------------------------------------------------------------------------------------------
def _top_mains(build: EventBuild) -> set[int]:
    """Race ids of each class's top main (A-Main, or A1..A3): the races a sheet shows before they ran."""
    return {s.race_id for s in build.races if s.round_index == 99 and s.tier == "A"}


def heat_sheets(build: EventBuild, heat_sheet_ids: dict[str, int], v: dict) -> list[HeatSheet]:
    slug, eid = build.event.track_slug, build.event.event_id
    rounds: dict[str, list[RaceSpec]] = {}
    for spec in build.races:
        rounds.setdefault(spec.round_name, []).append(spec)
    sheets = []
    top = _top_mains(build)
    for round_name, specs in rounds.items():
        sheet_id = heat_sheet_ids.get(round_name)
        if sheet_id is None:
            continue
        races = []
        for spec in specs:
            grid = list(spec.grid)
            status, race_id = "Complete", spec.race_id
            if round_name == "Main Events" and spec.race_id in top:
                if v["mains_sheet"] == "not_started":
                    status, race_id = "Not Started", None
                elif v["mains_sheet"] == "edited" and len(grid) >= 3:
                    # rebuilt after the race ran: two drivers swapped on the grid
                    grid[0], grid[1] = grid[1], grid[0]
            entries = [LineupEntry(k, str(k), d.name, d.transponder if v["transponders"] else None)
                       for k, d in enumerate(grid, 1)]
            # the race page's car numbers are the grid slots the race ran with
            if grid is not spec.grid:
                by_id = {d.driver_id: k for k, d in enumerate(spec.grid, 1)}
                for e, d in zip(entries, grid):
                    e.car_number = str(by_id[d.driver_id])
            races.append(HeatSheetRace(spec.race_number, _label(spec), _label_class(spec),
                                       spec.heat[0] if spec.heat else None, spec.heat[1] if spec.heat else None,
                                       status, race_id, entries))
        sheets.append(HeatSheet(slug, eid, sheet_id, round_name, races))
    return sheets


def render_heat_sheet(sheet: HeatSheet, *, track_name: str, event_name: str, date_text: str,
                      lengths: dict[int, int], v: dict) -> str:
    cols = [v["pos"], "Car # / Driver"] + (["Brand"] if v["brand"] else []) + (["Tx #"] if v["transponders"] else [])
    head = "<tr class=\"heat_sheet_header\">" + "".join(f"<th>{h(c)}</th>" for c in cols) + "</tr>\n"
    rows = []
    for race in sheet.races:
        if race.race_id is not None:
            status = f'Status: Complete (<a href="{_race_href(race.race_id, v["encoded"])}">View Results</a>)'
        else:
            status = f"Status: {h(race.status)}"
        length = lengths.get(race.race_number or 0, 0)
        rows.append(
            f'<tr>\n<th colspan="{len(cols)}">\n<div class="race_num">{race.race_number}</div>\n'
            f'<div class="race_info">\n<span class="class_header">{h(race.race_label)}</span><br />\n'
            f'<span class="class_sub_header">Length: {length // 60}:{length % 60:02d} Timed</span><br />\n'
            f'<span class="race_status">{status}</span>\n</div>\n</th>\n</tr>\n{head}'
        )
        for e in race.entries:
            brand = ('<td><img src="https://assets.liveracemedia.com/manufacturers/chassis/team-associated.png"'
                     ' alt="Team Associated" /></td>') if v["brand"] else ""
            tx = f"<td>{h(e.transponder or '')}</td>" if v["transponders"] else ""
            rows.append(f'<tr>\n<td>{e.grid_position}</td>\n<td><span class="car_num">{h(e.car_number)}</span> '
                        f'{h(e.driver_name)}</td>\n{brand}{tx}\n</tr>\n')
    body = (
        breadcrumb(track_name, event_name, "list", date_text)
        + '<div class="row">\n<div class="col-lg-12">\n<div class="panel panel-default">\n'
        f'<div class="panel-heading"><i class="fa fa-list fa-fw"></i> Race Lineups - {h(sheet.round_name)}</div>\n'
        '<div class="panel-body no_padding">\n<table class="table heat_sheet">\n<tbody>\n'
        + "".join(rows) + "</tbody>\n</table>\n</div>\n</div>\n</div>\n</div>\n"
    )
    return page([track_name, event_name, f"{sheet.round_name} Heat Sheet"], body)


# ---------------------------------------------------------------------------------------------
# Round rankings
# ---------------------------------------------------------------------------------------------
def _metric(res: RaceResult, header: str) -> float | None:
    return {"Top 2 Consecutive": res.top2_consecutive, "Top 3 Consecutive": res.top3_consecutive,
            "Top 5 Average": res.avg_top5, "Fastest Lap": res.fastest_lap, "Avg Lap": res.avg_lap}[header]


def _laps_key(res: RaceResult) -> tuple:
    if res.status == STATUS_DNS or not res.laps:
        return (1, 0, math.inf)
    return (0, -res.laps, res.total_time or 0.0)


def _sort_key(res: RaceResult, mode: str) -> tuple:
    if mode == "laps_time":
        return _laps_key(res)
    value = _metric(res, MODE_HEADERS[mode])
    return (value is None, value if value is not None else 0.0, _laps_key(res))


def round_rankings(build: EventBuild, ranking_ids: dict[int, tuple[int, str]]) -> list[RoundRanking]:
    slug, eid = build.event.track_slug, build.event.event_id
    out = []
    for r, (ranking_id, mode) in sorted(ranking_ids.items()):
        cols = [MODE_HEADERS[mode]] + [m for m in METRICS if m != MODE_HEADERS[mode]]
        ranking = RoundRanking(slug, eid, ranking_id, mode, f"Qualifier Round {r}", cols)
        for plan in build.plans:
            heats = [s for s in build.races if s.cls is plan.cls and s.kind == "heat" and s.round_index == r]
            pairs = [(res, s) for s in heats for res in s.results]
            pairs.sort(key=lambda p: (_sort_key(p[0], mode), p[0].driver_id))
            for pos, (res, s) in enumerate(pairs, 1):
                dns = res.status == STATUS_DNS
                ranking.rows.append(RankingRow(
                    plan.cls.name, pos, res.driver_name, None if dns else res.laps,
                    None if dns else res.total_time, "DNS" if dns else None,
                    res.top2_consecutive, res.top3_consecutive, res.avg_top5, res.fastest_lap, res.avg_lap,
                    s.heat[0], s.heat[1], s.race_id))
        if ranking.rows:
            out.append(ranking)
    return out


def _laps_time_cell(row: RankingRow) -> str:
    if row.flag == "DNS":
        return '<td><div class="hidden">0000</div>DNS</td>'
    ms = round((row.total_time or 0) * 1000)
    return f'<td><div class="hidden">{row.laps:04d}/{ms:09d}</div>{row.laps}/{mss(ms)}</td>'


def _time_cell(value: float | None, plain: bool) -> str:
    if value is None:  # a metric the driver did not reach (Top 5 with 4 laps): blank
        return '<td><div class="hidden">9999</div></td>'
    ms = round(value * 1000)
    return f'<td><div class="hidden">{ms:09d}</div>{secs3(ms) if plain else mss(ms)}</td>'


def _row_value(row: RankingRow, header: str) -> float | None:
    return {"Top 2 Consecutive": row.top2_consecutive, "Top 3 Consecutive": row.top3_consecutive,
            "Top 5 Average": row.avg_top5, "Fastest Lap": row.fastest_lap, "Avg Lap": row.avg_lap}[header]


def _driver_cell(name: str, v: dict) -> str:
    if v["hidden_names"]:
        first, _, last = name.partition(" ")
        return f'<td><span class="hidden">{h(last)}, {h(first)}</span>{h(name)}</td>'
    return f"<td>{h(name)}</td>"


def _class_tables(names: list[str], table_for: Callable[[str, bool], str], v: dict, seed: int) -> str:
    if not v["tabs"]:
        return "".join(table_for(n, True) for n in names)
    ids = {n: f"{class_slug(n)}_tab_{seed + i}" for i, n in enumerate(names)}
    active = ' class="active"'
    nav = "".join(f'<li{active if i == 0 else ""}><a href="#{ids[n]}" data-toggle="tab">{h(n)}</a></li>\n'
                  for i, n in enumerate(names))
    panes = "".join(f'<div class="tab-pane fade{" in active" if i == 0 else ""}" id="{ids[n]}">\n'
                    f"{table_for(n, False)}</div>\n" for i, n in enumerate(names))
    return (f'<div class="padding_container">\n<ul class="nav nav-pills">\n{nav}</ul>\n</div>\n'
            f'<div class="tab-content">\n{panes}</div>\n')


def render_round_ranking(rk: RoundRanking, *, track_name: str, event_name: str, date_text: str, v: dict) -> str:
    headers = [v["pos"], "Driver", *rk.columns, "Heat"]
    head = "<tr>" + "".join(f"<th>{h(c)}</th>" for c in headers) + "</tr>\n"
    names = list(dict.fromkeys(r.class_name for r in rk.rows))

    def table_for(name: str, with_header: bool) -> str:
        cap = (f'<tr><th colspan="{len(headers)}"><span class="class_header">{h(name)}</span></th></tr>\n'
               if with_header else "")
        rows = []
        for r in rk.rows:
            if r.class_name != name:
                continue
            cells = [f"<td>{r.position}</td>", _driver_cell(r.driver_name, v)]
            for c in rk.columns:
                cells.append(_laps_time_cell(r) if c == "Laps/Time"
                             else _time_cell(_row_value(r, c), plain=c in ("Fastest Lap", "Avg Lap")))
            cells.append(f'<td><a href="{_race_href(r.race_id, v["encoded"])}">{r.heat_number} / {r.heat_count}</a></td>')
            rows.append("<tr>\n" + "\n".join(cells) + "\n</tr>\n")
        return (f'<table class="table table-striped round_ranking">\n<thead>\n{cap}{head}</thead>\n'
                f"<tfoot>\n{head}</tfoot>\n<tbody>\n{''.join(rows)}</tbody>\n</table>\n")

    body = (
        breadcrumb(track_name, event_name, "list-ol", date_text)
        + '<div class="row">\n<div class="col-lg-12">\n<div class="panel panel-default">\n'
        f'<div class="panel-heading"><i class="fa fa-list-ol fa-fw"></i> {h(rk.round_name)} Rankings</div>\n'
        '<div class="panel-body no_padding">\n'
        + _class_tables(names, table_for, v, 3100 + (rk.ranking_id or 0) % 1000)
        + "</div>\n</div>\n</div>\n</div>\n"
    )
    return page([track_name, event_name, f"{rk.round_name} Rankings"], body)


# ---------------------------------------------------------------------------------------------
# Overall final ranking
# ---------------------------------------------------------------------------------------------
def _triple_order(legs: list[RaceSpec], event_id: int, plan_index: int) -> list[tuple[int, int, RaceResult]]:
    """(points, best place, the best leg's result) per driver, in the overall order of the event's
    multi-main page: the same legs scored by the same rule (IFMAR or ROAR, drawn from the multi-main
    page's own stream; FIELD-GUIDE §11.6). [INF] §11.5: LiveRC's "[x] [y]" are probably these two
    numbers."""
    from mre_crawler.samplesite.multimain import RULES, build_result

    legs = sorted(legs, key=lambda s: s.leg or 0)
    rule = random.Random(f"multimain:{event_id}:{plan_index}").choices(RULES, (0.7, 0.3))[0]
    x = build_result(slug="", event_id=event_id, multi_main_id=0, class_name="", letter="A", fmt="Triple",
                     legs=[s.results for s in legs], scheduled=3,
                     seeding=[d.driver_id for d in legs[0].grid], rule=rule)
    runs: dict[str, list[RaceResult]] = {}
    for leg in legs:
        for res in leg.results:
            runs.setdefault(res.driver_name, []).append(res)
    out = []
    for row in x.rows:
        best = min(runs[row.driver_name], key=lambda r: (r.position, -(r.laps or 0), r.total_time or math.inf))
        out.append((row.points, best.position, best))
    return out


def overall_ranking(build: EventBuild, v: dict) -> OverallRanking:
    slug, eid = build.event.track_slug, build.event.event_id
    rk = OverallRanking(slug, eid)
    word = str(v["main_word"])
    for plan_index, plan in enumerate(build.plans):
        mains = [s for s in build.races if s.cls is plan.cls and s.round_index == 99]
        # top main first: A (A1..A3 as one), then B, C, D; an LCQ ranks below its A-main
        tiers: list[tuple[str, list[RaceSpec]]] = []
        for t in "ABCD":
            group = [s for s in mains if s.tier == t]
            if group:
                tiers.append((word.format(t=t), group))
        lcq = [s for s in mains if s.kind == "lcq"]
        if lcq:
            tiers.append(("LCQ", lcq))
        seen: set[int] = set()
        pos = 0
        for label, group in tiers:
            if len(group) > 1:  # a triple main
                for points, best, res in _triple_order(group, eid, plan_index):
                    if res.driver_id in seen:
                        continue
                    seen.add(res.driver_id)
                    pos += 1
                    laps, total = res.laps or 0, res.total_time or 0.0
                    raw = f"[{points}] [{best}] {laps}/{mss(round(total * 1000))}"
                    rk.rows.append(OverallRow(plan.cls.name, pos, res.driver_name, best, points, laps, total, None,
                                              raw, label, None))
                continue
            spec = group[0]
            for res in spec.results:
                if res.driver_id in seen:
                    continue
                seen.add(res.driver_id)
                pos += 1
                laps, total = res.laps or 0, res.total_time or 0.0
                raw = f"[{res.position}] {laps}/{mss(round(total * 1000))}"
                rk.rows.append(OverallRow(plan.cls.name, pos, res.driver_name, res.position, None, laps, total, None,
                                          raw, label, spec.race_id if v["race_links"] else None))
    return rk


def render_overall(rk: OverallRanking, *, track_name: str, event_name: str, date_text: str, v: dict) -> str:
    headers = [v["pos"], "Brand", "Country", "Driver", "Result", "Race"]
    head = "<tr>" + "".join(f"<th>{h(c)}</th>" for c in headers) + "</tr>\n"
    names = list(dict.fromkeys(r.class_name for r in rk.rows))

    def table_for(name: str, _with_header: bool) -> str:
        rows = []
        for r in rk.rows:
            if r.class_name != name:
                continue
            race = (f'<a href="{_race_href(r.race_id, v["encoded"])}">{h(r.race_label)}</a>' if r.race_id
                    else h(r.race_label))
            rows.append(f"<tr>\n<td>{r.position}</td>\n<td></td>\n<td></td>\n{_driver_cell(r.driver_name, v)}\n"
                        f"<td>{h(r.result_raw)}</td>\n<td>{race}</td>\n</tr>\n")
        # the class header row is there in both layouts (MRE's fixture, SS, COBRA: FIELD-GUIDE §11.5)
        return ('<table class="table table-striped leaderboard_points overall_ranking">\n<thead>\n'
                f'<tr><th colspan="6"><div class="class_header">{h(name)}</div></th></tr>\n{head}</thead>\n'
                f"<tbody>\n{''.join(rows)}</tbody>\n</table>\n")

    body = (
        breadcrumb(track_name, event_name, "trophy", date_text)
        + '<div class="row">\n<div class="col-lg-12">\n<div class="panel panel-default">\n'
        '<div class="panel-heading"><i class="fa fa-trophy fa-fw"></i> Overall Final Ranking</div>\n'
        '<div class="panel-body no_padding">\n'
        + _class_tables(names, table_for, v, 5100 + (rk.event_id or 0) % 1000)
        + "</div>\n</div>\n</div>\n</div>\n"
    )
    return page([track_name, event_name, "Overall Final Ranking"], body)


# ---------------------------------------------------------------------------------------------
# The pages of one event
# ---------------------------------------------------------------------------------------------
def event_heat_rank_pages(build: EventBuild, info, file_name: Callable[[str, str], str]) -> Iterator:
    """The heat sheet, round ranking and overall ranking pages of an event, as the event page links them."""
    from mre_crawler.samplesite.site import SitePage

    slug, ev = info.slug, build.event
    eid = ev.event_id
    v = _variants(eid)
    sheet_ids = {l.label: l.target_id for l in ev.links if l.kind == "heat_sheet"}  # label = round name
    lengths_by_round: dict[str, dict[int, int]] = {}
    for s in build.races:
        lengths_by_round.setdefault(s.round_name, {})[s.race_number] = s.length_s
    common = {"track_name": info.name, "event_name": ev.name, "date_text": build.date_text}
    for sheet in heat_sheets(build, sheet_ids, v):
        yield SitePage(urls.heat_sheet_url(slug, sheet.heat_sheet_id), "heat_sheet",
                       file_name(slug, f"heat-sheet-{sheet.heat_sheet_id}"),
                       {"track_slug": slug, "event_id": eid, "heat_sheet_id": sheet.heat_sheet_id}, [sheet],
                       lambda s=sheet: render_heat_sheet(s, lengths=lengths_by_round.get(s.round_name, {}), v=v,
                                                         **common))
    ranking_ids = {}
    for l in ev.links:
        if l.kind == "round_ranking":
            r = int(l.label.split()[2])
            ranking_ids[r] = (l.target_id, parse_qs(urlsplit(l.url).query).get("o", ["laps_time"])[-1])
    for rk in round_rankings(build, ranking_ids):
        yield SitePage(urls.round_ranking_url(slug, rk.ranking_id, rk.mode), "round_ranking",
                       file_name(slug, f"round-ranking-{rk.ranking_id}"),
                       {"track_slug": slug, "event_id": eid, "ranking_id": rk.ranking_id}, [rk],
                       lambda r=rk: render_round_ranking(r, v=v, **common))
    overall = overall_ranking(build, v)
    if overall.rows:
        yield SitePage(urls.overall_ranking_url(slug, eid), "overall_ranking",
                       file_name(slug, f"overall-ranking-{eid}"), {"track_slug": slug, "event_id": eid}, [overall],
                       lambda: render_overall(overall, v=v, **common))
