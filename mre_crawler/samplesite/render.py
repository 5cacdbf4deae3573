"""Render items as LiveRC-shaped HTML: the same markup the parsers read on the saved real pages.

Compact templates written from the structure of the pages in ../shared/liverc (FIELD-GUIDE.md):
the page frame, breadcrumbs, class names, hidden sort keys, ``<sup>`` lap numbers, the
``racerLaps[<id>] = {...};`` blocks (single quotes, trailing commas, a lap-0 grid entry), the
practice ``var lapsObj = [...]`` JSON and titles with `` :: `` parts. Ads, analytics and asset
links are left out. Plain f-strings: a race page renders in about a millisecond.
"""

from __future__ import annotations

import datetime as dt
import json
from html import escape

from mre_crawler.items import (
    STATUS_DNS,
    EntryList,
    Event,
    EventSummary,
    PointsTable,
    PracticeDay,
    PracticeMonth,
    PracticeSession,
    Race,
    Track,
    TrackListing,
)
from mre_crawler.samplesite.racing import js_lap, mss


ACTIVE = ' class="active"'
SELECTED = ' selected="selected"'
FAST = 'class="fast_lap"'


def h(text: object) -> str:
    """HTML text: LiveRC writes apostrophes as a plain ``'`` (FIELD-GUIDE §0)."""
    return escape(str(text), quote=False)


def js(text: str) -> str:
    """A single-quoted JS string: ``'MATTHEW O\\'LOUGHLIN'`` (FIELD-GUIDE §5.3)."""
    return text.replace("\\", "\\\\").replace("'", "\\'")


def _f3(x: float | None) -> str:
    return "" if x is None else f"{x:.3f}"


def _clock(t: dt.time | dt.datetime, seconds: bool = True) -> str:
    hour = t.hour % 12 or 12
    ampm = "am" if t.hour < 12 else "pm"
    return f"{hour}:{t.minute:02d}:{t.second:02d}{ampm}" if seconds else f"{hour}:{t.minute:02d}{ampm}"


def _long_date(d: dt.date) -> str:
    return f"{d:%B} {d.day}, {d.year} ({d:%A})"


def _short_date(d: dt.date) -> str:
    return f"{d:%b} {d.day}, {d.year}"


def page(title_parts: list[str], body: str) -> str:
    title = " :: ".join(h(p) for p in [*title_parts, "LiveRC"])
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\" />\n"
        "<meta http-equiv=\"Content-Type\" content=\"text/html; charset=UTF-8\" />\n"
        f"<title>{title}</title>\n"
        "<meta name=\"Description\" content=\"Live and archived results, scoring, and video on LiveRC.com.\" />\n"
        "<script type=\"text/javascript\">var domain = 'liverc.com';</script>\n"
        "</head>\n<body>\n<div id=\"wrapper\">\n<nav class=\"navbar navbar-default navbar-static-top\">"
        "<a href=\"//live.liverc.com\">Switch Tracks</a></nav>\n<div id=\"page-wrapper\">\n"
        f"{body}\n</div>\n<!-- /#page-wrapper -->\n</div>\n"
        "<script src=\"//www.google.com/recaptcha/api.js?render=explicit\"></script>\n</body>\n</html>\n"
    )


def breadcrumb(track_name: str, heading: str, icon: str, date_text: str | None, extra: str = "") -> str:
    h5 = (f'<h5 class="page-header text-nowrap pull-left"><span class="fa fa-calendar"></span> {h(date_text)}</h5>\n'
          if date_text is not None else "")
    return (
        '<div class="row page-breadcrumb">\n<div class="col-lg-12">\n'
        f'<h1 class="page-header"><span class="fa fa-road"></span> {h(track_name)}</h1>\n'
        '<div class="clearfix">\n'
        f'<h3 class="page-header text-nowrap pull-left"><span class="fa fa-{icon}"></span> {h(heading)}</h3>\n'
        f"{h5}</div>\n{extra}</div>\n</div>\n"
    )


def event_stats_card(race_track: str | None, entries: int | None, drivers: int | None, laps: int | None) -> str:
    return (
        '<div class="col-lg-4">\n<div class="card">\n<div class="card-header">\n'
        '<h2><i class="fas fa-chart-line"></i> Event Stats</h2>\n</div>\n<div class="card-body p-0">\n'
        '<table class="table table-sm table-borderless m-0">\n<tbody>\n'
        f"<tr>\n<th>Race Track</th>\n<td>{h(race_track or '')}</td>\n</tr>\n"
        f"<tr>\n<th>Registrations</th>\n<td>\nEntries: {entries}<br />\nDrivers: {drivers}\t\t\t\t\t</td>\n</tr>\n"
        f"<tr>\n<th>Total Race Laps</th>\n<td>{(laps or 0):,}</td>\n</tr>\n"
        "</tbody>\n</table>\n</div>\n</div>\n</div>\n"
    )


# ---------------------------------------------------------------------------------------------
# Race result
# ---------------------------------------------------------------------------------------------
_RACE_HEAD = (
    "<tr>\n<th>Pos</th>\n<th>Driver</th>\n<th>Qual</th>\n<th>Laps/Time</th>\n<th>Behind</th>\n"
    "<th>Fastest Lap</th>\n<th>Avg Lap</th>\n<th>Avg Top 5</th>\n<th>Avg Top 10</th>\n<th>Avg Top 15</th>\n"
    "<th>Top 3 Consecutive</th>\n<th>Std. Deviation</th>\n<th>Consistency</th>\n</tr>\n"
)


def _racer_laps_js(race: Race) -> str:
    out = ["<script type=\"text/javascript\">\nvar racerLaps = {};\nvar positionData = [];\nvar driverNames = [];\n"]
    add = out.append
    for r in race.results:
        name = js(r.driver_name)
        add(f"positionDataDriver = {{}};\npositionDataDriver.label = '{name}';\npositionDataDriver.data = [];\n"
            f"driverNames.push('{name}');\nracerLaps[{r.driver_id}] = {{\n'driverName' : '{name}',\n"
            f"'fastLap' : '{_f3(r.fastest_lap)}',\n'avgLap' : '{_f3(r.avg_lap)}',\n"
            f"'avgTop5' : '{_f3(r.avg_top5)}',\n'avgTop10' : '{_f3(r.avg_top10)}',\n"
            f"'avgTop15' : '{_f3(r.avg_top15)}',\n'top2Consecutive' : '{_f3(r.top2_consecutive)}',\n"
            f"'top3Consecutive' : '{_f3(r.top3_consecutive)}',\n'stdDeviation' : '{_f3(r.std_deviation_precise)}',\n"
            f"'consistency' : '{_f3(r.consistency_precise)}',\n'laps' : [\n")
        if r.status != STATUS_DNS:
            # lap 0 is the grid entry: pos = grid slot, time and pace '0' (race-6304829.html)
            add(f"{{\n'lapNum' : '0',\n'pos' : '{r.grid_position}',\n'time' : '0',\n'pace' : '0',\n'segments' : [\n]\n}},\n")
            add("".join(
                f"{{\n'lapNum' : '{lap.lap_number}',\n'pos' : '{lap.position}',\n"
                f"'time' : '{js_lap(round(lap.lap_time * 1000))}',\n'pace' : '{lap.pace_raw}',\n'segments' : [\n]\n}},\n"
                for lap in r.lap_list
            ))
        add("]\n};\n")
        if r.status != STATUS_DNS:
            add(f"positionDataDriver.data.push([0, {r.grid_position}]);\n")
            add("".join(f"positionDataDriver.data.push([{lap.lap_number}, {lap.position}]);\n" for lap in r.lap_list))
        add(f"positionData.push(positionDataDriver);\nconsole.log(racerLaps[{r.driver_id}]);\n")
    add("</script>\n")
    return "".join(out)


def _race_row(r) -> str:
    link = ""
    if r.status != STATUS_DNS:
        link = (f'<br /><span class="text-nowrap"><small><small><a href="#" data-driver-id="{r.driver_id}" '
                f'class="driver_laps"><span class="fa fa-eye"></span> View Laps</a></small></small></span>')
    if r.status == STATUS_DNS:
        laps_time = "0"  # a DNS row shows a bare 0 (race-6304829.html, RILEY LANDER)
    else:
        laps_time = f"{r.laps}/{mss(round(r.total_time * 1000))}"
    if r.behind_laps is not None:
        behind = f"{r.behind_laps} Lap" + ("s" if r.behind_laps != 1 else "")
    elif r.behind_seconds is not None:
        behind = f"{r.behind_seconds:.3f}"
    else:
        behind = ""
    fastest = f"{r.fastest_lap:.3f}<sup>{r.fastest_lap_number}</sup>" if r.fastest_lap is not None else ""
    top3 = ("" if r.top3_consecutive is None
            else f"{r.top3_consecutive:.3f}</div>{mss(round(r.top3_consecutive * 1000))}")

    def hid(x: float | None) -> str:
        return '<div class="hidden"></div>' if x is None else f'<div class="hidden">{x:.3f}</div>{x:.3f}'

    sd = "" if r.std_deviation is None else f"{r.std_deviation:.2f}"
    cons = "" if r.consistency is None else f"{r.consistency:.2f}%"
    top3_cell = '<div class="hidden"></div>' if not top3 else f'<div class="hidden">{top3}'
    return (
        f"<tr>\n<td>{r.position}</td>\n<td>\n<span class=\"car_num\">{h(r.car_number or '')}</span>\n"
        f"<span class=\"driver_name\">{h(r.driver_name)}</span>\n{link}\n</td>\n"
        f"<td>{'' if r.qual_position is None else r.qual_position}</td>\n<td>{laps_time}</td>\n<td>{behind}</td>\n"
        f"<td>{fastest}</td>\n<td>{hid(r.avg_lap)}</td>\n<td>{hid(r.avg_top5)}</td>\n"
        f"<td>{hid(r.avg_top10)}</td>\n<td>{hid(r.avg_top15)}</td>\n<td>{top3_cell}</td>\n"
        f"<td>{sd}</td>\n<td>{cons}</td>\n</tr>\n"
    )


def render_race(race: Race, *, track_name: str, event_name: str, date_text: str, colour: str) -> str:
    length = f"{race.length_seconds // 60}:{race.length_seconds % 60:02d}"
    body = (
        breadcrumb(track_name, event_name, "list-ol", date_text)
        + '<div class="row">\n</div>\n<div class="row">\n<div class="col-lg-12">\n<div class="panel panel-default">\n'
        f'<div class="panel-heading"><i class="fa fa-trophy"></i> {h(race.race_name)} Results [{h(race.caption_tag)}]</div>\n'
        '<div class="panel-body no_padding">\n'
        + _racer_laps_js(race)
        + '<div class="table-responsive">\n<table class="table table-striped race_result" cellspacing="0" width="100%">\n'
        '<thead>\n<tr>\n<th colspan="14">\n'
        f'<div class="race_num" style="background: {colour};color: white;">{race.race_number}</div>\n'
        '<div class="race_info">\n'
        f'<span class="class_header">{h(race.race_name)}</span><br />\n'
        f'<span class="class_sub_header">Round: {h(race.round_name)}</span><br />\n'
        f'<span class="class_sub_header">Length: {length} {race.length_kind}</span>\n'
        "</div>\n</th>\n</tr>\n" + _RACE_HEAD + "</thead>\n<tbody>\n"
        + "".join(_race_row(r) for r in race.results)
        + "</tbody>\n</table>\n</div>\n</div>\n</div>\n"
        '<div class="panel panel-default">\n<div class="panel-heading"><i class="fa fa-area-chart"></i> '
        'Lap-by-Lap Position Graph</div>\n</div>\n</div>\n</div>\n'
    )
    return page([track_name, event_name, race.race_name], body)


# ---------------------------------------------------------------------------------------------
# Event page, events list
# ---------------------------------------------------------------------------------------------
def _link_row(href: str, icon: str, text: str, clickable: bool = False) -> str:
    path = href.split(".liverc.com", 1)[1]
    attr = f' class="clickable-row" data-href="{h(path)}"' if clickable else ""
    return f'<tr{attr}>\n<td><a href="{h(path)}" class="block"><i class="fa fa-{icon}"></i> {h(text)}</a></td>\n</tr>\n'


def render_event(event: Event, *, date_text: str) -> str:
    lineups = [_link_row(l.url, "bars" if l.kind == "entry_list" else "list", l.label, l.kind == "entry_list")
               for l in event.links if l.kind in ("entry_list", "heat_sheet")]
    rankings = [_link_row(l.url, {"points": "th", "round_ranking": "list-ol"}.get(l.kind, "trophy"), l.label)
                for l in event.links if l.kind not in ("entry_list", "heat_sheet")]
    rows = []
    current = None
    # Newest first: sections from Main Events back to Qualifier Round 1, race numbers high to low.
    for race in sorted(event.races, key=lambda r: r.schedule_index, reverse=True):
        if race.round_name != current:
            current = race.round_name
            rows.append(f"<tr>\n<th>{h(current)}</th>\n<th>Time Completed</th>\n</tr>\n")
        when = f"{_short_date(race.completed_local)} at {_clock(race.completed_local, seconds=False)}"
        rows.append(
            f'<tr>\n<td><a href="/results/?p=view_race_result&id={race.race_id}" class="block">'
            f'<i class="fa fa-trophy"></i> {h(race.race_label_raw)}</a></td>\n<td>{when}</td>\n</tr>\n'
        )

    def table(header: str, body: list[str], colspan: str = "") -> str:
        return ('<div class="table-responsive">\n<table class="table table-hover entry_list_data">\n'
                f'<thead>\n<tr>\n<th{colspan}><span class="class_header">{header}</span></th>\n</tr>\n</thead>\n'
                f"<tbody>\n{''.join(body)}</tbody>\n</table>\n</div>\n")

    body = (
        breadcrumb(event.track_name or "", event.name, "list-ol", date_text,
                   '<a href="/events/"><i class="fa fa-calendar fa-fw"></i> <u>View results from other events</u></a>\n')
        + '<div class="row">\n</div>\n<div class="row">\n<div class="col-lg-8">\n<div class="panel panel-default">\n'
        '<div class="panel-heading"><i class="fa fa-list-ol fa-fw"></i> Race Lineups &amp; Results</div>\n'
        '<div class="panel-body no_padding">\n'
        + table("Race Lineups &amp; Entry List", lineups)
        + table("Overall Results &amp; Rankings", rankings)
        + table("Race Results", rows, ' colspan="2"')
        + "</div>\n</div>\n</div>\n"
        + event_stats_card(event.race_track, event.entries, event.drivers, event.total_race_laps)
        + "</div>\n"
    )
    return page([event.track_name or "", event.name], body)


def render_track_events(track_name: str, events: list[EventSummary]) -> str:
    rows = "".join(
        f'<tr>\n<td><a href="/results/?p=view_event&id={e.event_id}">{h(e.name)}</a></td>\n'
        f'<td><span class="hidden">{e.start_local:%Y-%m-%d %H:%M:%S}</span>{_short_date(e.event_date)}</td>\n'
        f"<td>{e.entries}</td>\n<td>{e.drivers}</td>\n</tr>\n"
        for e in sorted(events, key=lambda e: (e.start_local, e.event_id), reverse=True)
    )
    head = "<tr>\n<th>Event Name</th>\n<th>Date</th>\n<th># Entries</th>\n<th># Drivers</th>\n</tr>\n"
    body = (
        '<script>\n$(document).ready(function() { $(\'#events\').DataTable({ \'order\': [[ 1, \'desc\' ]], '
        "'pageLength': 10 }); });\n</script>\n"
        '<div class="row page-breadcrumb">\n<div class="col-lg-12">\n'
        f'<h1 class="page-header"><span class="fa fa-calendar"></span> {h(track_name)}\'s Events</h1>\n</div>\n</div>\n'
        '<div class="row">\n<div class="col-lg-12">\n<div class="panel panel-default">\n'
        '<div class="panel-heading"><i class="fa fa-calendar"></i> Event List</div>\n<div class="panel-body no_padding">\n'
        '<div class="table-responsive">\n<table id="events" class="table table-striped" width="100%">\n'
        f"<thead>\n{head}</thead>\n<tfoot>\n{head}</tfoot>\n<tbody>\n{rows}</tbody>\n</table>\n"
        "</div>\n</div>\n</div>\n</div>\n</div>\n"
    )
    return page([track_name, "Archived Results"], body)


# ---------------------------------------------------------------------------------------------
# Entry list and qual points (tabbed class tables)
# ---------------------------------------------------------------------------------------------
def class_slug(name: str) -> str:
    """``40+ Electric Buggy`` -> ``40_Electric_Buggy`` (the tab ids of entry-list-silverstate…html)."""
    kept = "".join(c for c in name if c.isalnum() or c == " ")
    return "_".join(kept.split())


def _tabs(names: list[str], ids: dict[str, int]) -> str:
    items = "".join(
        f'<li{ACTIVE if i == 0 else ""}><a href="#{class_slug(n)}_tab_{ids[n]}" data-toggle="tab">{h(n)}</a></li>\n'
        for i, n in enumerate(names)
    )
    return f'<!-- Nav tabs -->\n<div class="padding_container">\n<ul class="nav nav-pills">\n{items}</ul>\n</div>\n'


def _tab_ids(names: list[str], seed: int) -> dict[str, int]:
    # Tab numbers come from unrelated pools (FIELD-GUIDE §6); any stable distinct numbers do.
    return {n: 1400 + (seed * 7 + i * 7919) % 50_000 for i, n in enumerate(names)}


def render_entry_list(el: EntryList, *, track_name: str, event_name: str, date_text: str, race_track: str,
                      total_laps: int) -> str:
    names = list(el.classes)
    ids = _tab_ids(names, el.event_id or 0)
    panes = []
    for i, name in enumerate(names):
        sid = f"{class_slug(name)}_{{}}_{ids[name]}"
        rows = "".join(
            f"<tr>\n<td>{e.row_number}</td>\n<td><span class=\"hidden\">{h(e.sort_name)}</span>{h(e.display_name)}</td>\n"
            f"<td>{h(e.transponder or '')}</td>\n</tr>\n"
            for e in el.entries if e.class_name == name
        )
        head = "<tr>\n<th>#</th>\n<th>Driver</th>\n<th>Transponder #</th>\n</tr>\n"
        panes.append(
            f'<div class="tab-pane fade{" in active" if i == 0 else ""} table-responsive" id="{sid.format("tab")}">\n'
            f'<table id="{sid.format("table")}" class="table table-striped" cellspacing="0" width="100%">\n'
            f'<thead>\n<tr>\n<th colspan="3">\n<div class="class_header">{h(name)}</div>\n'
            f'<div class="class_sub_header">Entries: {el.classes[name]}</div>\n</th>\n</tr>\n{head}</thead>\n'
            f"<tfoot>\n{head}</tfoot>\n<tbody>\n{rows}</tbody>\n</table>\n</div>\n"
        )
    body = (
        breadcrumb(track_name, event_name, "list-ol", date_text)
        + '<div class="row">\n</div>\n<div class="row">\n<div class="col-lg-8">\n<div class="panel panel-default">\n'
        '<div class="panel-heading"><i class="fa fa-list fa-fw"></i> Entry List</div>\n<div class="panel-body no_padding">\n'
        + _tabs(names, ids) + '<br>\n<!-- Tab panes -->\n<div class="tab-content">\n' + "".join(panes)
        + "</div>\n</div>\n</div>\n</div>\n"
        + event_stats_card(race_track, el.total_entries, el.total_drivers, total_laps)
        + "</div>\n"
    )
    return page([track_name, event_name, "Entry List"], body)


def _points_cell(rnd) -> str:
    text = f"{rnd.points} : {rnd.laps}/{mss(round((rnd.total_time or 0) * 1000))}"
    if rnd.flag:
        text += f" ({rnd.flag})"
    if rnd.counted:
        return f"<td>\n<b>\t\t\t\t{text}\t\t\t\t</b>\t\t\t</td>\n"
    return f"<td>\n{text}\t\t\t\t\t\t</td>\n"


def render_points(pt: PointsTable, *, track_name: str, event_name: str, date_text: str) -> str:
    names = list(dict.fromkeys(r.class_name for r in pt.rows))
    ids = _tab_ids(names, pt.points_id or 0)
    panes = []
    for i, name in enumerate(names):
        # each class table has one column per round that class ran
        rounds = max(len(r.rounds) for r in pt.rows if r.class_name == name)
        head = ("<tr>\n<th>#</th>\n<th>Driver</th>\n<th>Result</th>\n<th>Tie Breaker</th>\n"
                + "".join(f"<th>Round {k}</th>\n" for k in range(1, rounds + 1)) + "</tr>\n")
        sid = f"{class_slug(name)}_{{}}_{ids[name]}"
        rows = "".join(
            f"<tr>\n<td>{r.position}</td>\n<td>{h(r.driver_name)}</td>\n<td>{r.result_points}</td>\n"
            f"<td>{h(r.tie_breaker_raw)}</td>\n" + "".join(_points_cell(x) for x in r.rounds) + "</tr>\n"
            for r in pt.rows if r.class_name == name
        )
        panes.append(
            f'<div class="tab-pane fade{" in active" if i == 0 else ""} table-responsive" id="{sid.format("tab")}">\n'
            f'<table id="{sid.format("table")}" class="table table-striped leaderboard_points" cellspacing="0" width="100%">\n'
            f'<thead>\n<tr>\n<th colspan="{4 + rounds}">\n<span class="class_header">{h(name)}</span><br />\n'
            f'<span class="class_sub_header">\nTie Breaker: {h(pt.tie_breaker_rule)}\t\t\t\t</span>\n</th>\n</tr>\n'
            f"{head}</thead>\n<tfoot>\n{head}</tfoot>\n<tbody>\n{rows}</tbody>\n</table>\n</div>\n"
        )
    body = (
        breadcrumb(track_name, event_name, "list-ol", date_text)
        + '<div class="row">\n</div>\n<div class="row">\n<div class="col-lg-12">\n<div class="panel panel-default">\n'
        f'<div class="panel-heading"><i class="fa fa-th"></i> {h(pt.caption)}</div>\n<div class="panel-body no_padding">\n'
        + _tabs(names, ids) + '<!-- Tab panes -->\n<div class="tab-content">\n' + "".join(panes)
        + "</div>\n</div>\n</div>\n</div>\n</div>\n"
    )
    return page([track_name, event_name, pt.caption or "Qual Points"], body)


# ---------------------------------------------------------------------------------------------
# Track dashboard and catalogue
# ---------------------------------------------------------------------------------------------
def _tile(href: str, colour: str, icon: str, huge: str, stats: str, footer: str) -> str:
    return (
        f'<a href="{href}">\n<div class="col-lg-3 col-md-6 col-xs-6">\n<div class="panel panel-{colour}">\n'
        f'<div class="panel-heading">\n<div class="row">\n<div class="col-xs-3">\n<i class="fa fa-{icon} fa-4x"></i>\n</div>\n'
        f'<div class="col-xs-9 text-right">\n<div class="huge">{huge}</div>\n<div class="stats">\n{stats}\t\t\t\t</div>\n'
        f'</div>\n</div>\n</div>\n<div class="panel-footer">\n<span class="pull-left"><u>{footer}</u></span>\n'
        '<span class="pull-right"><i class="fa fa-arrow-circle-right"></i></span>\n<div class="clearfix"></div>\n'
        "</div>\n</div>\n</div>\n</a>\n"
    )


def _entities(text: str) -> str:
    return "".join(f"&#{ord(c)};" for c in text)


def render_dashboard(t: Track, *, street_for_map: str) -> str:
    live_huge = '<i class="fa fa-times"></i>' if t.live_status == "Track is Offline" else '<i class="fa fa-check"></i>'
    tiles = (
        _tile("/live/", "red", "hourglass", live_huge, h(t.live_status or ""), "Go to Live Interface")
        + _tile("/results/", "green", "list-ol", str(t.results_this_month), "Results This Month", "View Current Event")
        + _tile("/practice/", "primary", "clock-o", str(t.sessions_this_month), "Sessions This Month",
                "View Practice Sessions")
        + _tile("/videos/", "yellow", "video-camera", "0", "Videos This Month", "Watch Videos")
    )
    lines = "".join(f"<br>{h(line)}\t\t\t\t\t\t\t" for line in t.address_lines)
    phone = (f'<a href="tel:{h(t.phone)}">{h(t.phone)}</a>' if t.phone else "N/A")
    contact = f'<br><abbr title="Phone">P:</abbr> {phone}\t\t\t\t\t\t\t'
    if t.website:
        contact += f'<br><abbr title="Website">W:</abbr> <a href="{h(t.website)}" target="_blank">{h(t.website)}</a>\t\t\t\t\t\t\t'
    if t.email:
        user, domain = t.email.split("@", 1)
        contact += (f"<br><abbr title=\"E-Mail\">E:</abbr> <a href=\"javascript:noSpam('{user}', '{domain}');\" "
                    f'target="_blank">{_entities(t.email)}</a>\t\t\t\t\t\t')
    region = f"{t.region}+" if t.region else "+"
    q = f"{street_for_map},{t.city},{region}{t.postcode},{t.country_code}"
    stats = ""
    if t.lifetime_laps is not None:
        rows = "".join(
            f'<tr>\n<th>{label}</th>\n<td class="text-right">{value:,}</td>\n</tr>\n'
            for label, value in (("Laps", t.lifetime_laps), ("Practice Sessions", t.lifetime_practice_sessions),
                                 ("Races", t.lifetime_races), ("Entries", t.lifetime_entries),
                                 ("Events", t.lifetime_events))
        )
        stats = ('<div class="panel panel-default">\n<div class="panel-heading"><i class="fa fa-line-chart fa-fw"></i> '
                 f'Lifetime Track Stats</div>\n<div class="panel-body no_padding">\n<table class="table">\n<tbody>\n{rows}'
                 "</tbody>\n</table>\n</div>\n</div>\n")
    fb = ""
    if t.facebook:
        fb = ('<div class="panel panel-default">\n<div class="panel-heading"><i class="fa fa-facebook-square fa-fw"></i> '
              f'Facebook Page</div>\n<div class="panel-body no-padding">\n<p class="padding_container"><a href="{h(t.facebook)}" '
              f'target="_blank">{h(t.facebook)}</a></p>\n</div>\n</div>\n')
    body = (
        '<div class="row page-breadcrumb">\n<div class="col-lg-12">\n'
        f'<h1 class="page-header"><span class="fa fa-dashboard"></span> {h(t.name)}\'s Dashboard</h1>\n</div>\n</div>\n'
        '<!-- Dashboard -->\n<div class="row dashboard_panels">\n' + tiles + "</div>\n"
        '<div class="row">\n<div class="col-lg-8">\n<div class="panel panel-default">\n'
        f'<div class="panel-heading"><i class="fa fa-flag fa-fw"></i> About {h(t.name)}</div>\n<div class="panel-body">\n'
        '<div class="row">\n<div class="col-sm-4">\n<address class="small">\n'
        f"<strong>{h(t.address_name or t.name)}</strong>\n{lines}<br>\n{contact}</address>\n</div>\n"
        '<div class="col-sm-8">\n</div>\n</div>\n</div>\n</div>\n'
        '<div class="panel panel-default">\n<div class="panel-heading"><i class="fa fa-map-marker fa-fw"></i> Track Map</div>\n'
        '<div class="panel-body no-padding">\n<iframe width="100%" frameborder="0" style="border: 0" '
        f'src="https://www.google.com/maps/embed/v1/place?key=SAMPLE&q={h(q)}" allowfullscreen></iframe>\n'
        "</div>\n</div>\n</div>\n"
        f'<div class="col-lg-4">\n<!-- Lifetime Track Stats -->\n{stats}<!-- Facebook -->\n{fb}</div>\n</div>\n'
    )
    return page([t.name, "Broadcast and Results"], body)


_STATUS_ICONS = {
    "live_video": '<i class="fa fa-video-camera fa-fw status_video_1"></i>',
    "racing": '<i class="fa fa-flag-checkered fa-fw status_2"></i>',
    "open_practice": '<i class="fa fa-clock-o fa-fw status_1"></i>',
    "idle": '<i class="fa fa-power-off fa-fw status_0"></i>',
    "featured": '<i class="fa fa-star fa-fw status_featured"></i>',
}


def render_catalogue(listings: list[TrackListing]) -> str:
    rows = []
    for t in listings:
        icons = [] if "live_video" in t.status else ['<i class="fa fa-video-camera fa-fw status_video_0"></i>']
        icons += [_STATUS_ICONS[s] for s in t.status]
        href = (t.row_url or "").replace("https:", "", 1)
        latest = f'<div class="indent"><small>{h(t.latest_event_name)}</small></div>' if t.latest_event_name else ""
        rows.append(
            f'<tr class="clickable-row" data-href="{h(href)}">\n<td class="text-nowrap">\n' + "\n".join(icons)
            + f"\n<br /><small><small>{h(t.last_activity or '')}</small></small>\n</td>\n"
            f'<td><span class="hidden">seRC</span><a href="//{t.slug_raw}.liverc.com/"><strong>{h(t.name)}</strong></a>'
            f"{latest}</td>\n</tr>\n"
        )
    head = "<tr>\n<th class=\"col_min\">Status</th>\n<th>Track Name</th>\n</tr>\n"
    body = (
        '<div class="row page-breadcrumb">\n<div class="col-lg-12">\n'
        '<h1 class="page-header"><span class="fa fa-road"></span> Track List</h1>\n</div>\n</div>\n'
        '<div class="row">\n<div class="col-lg-6">\n<div class="panel panel-default">\n'
        '<div class="panel-heading"><i class="fa fa-road fa-fw"></i> Tracks</div>\n<div class="panel-body no_padding">\n'
        '<ul class="list-inline padding_container">\n'
        '<li><i class="fa fa-video-camera fa-fw status_video_1"></i> Live Video</li>\n'
        '<li><i class="fa fa-star fa-fw status_featured"></i> Featured Event</li>\n'
        '<li><i class="fa fa-flag-checkered fa-fw status_2"></i> Racing in Progress</li>\n'
        '<li><i class="fa fa-clock-o fa-fw status_1"></i> Open Practicing</li>\n'
        '<li><i class="fa fa-power-off fa-fw"></i> No Track Activity</li>\n</ul>\n'
        '<div class="table-responsive">\n<table class="table table-striped track_list" cellspacing="0" width="100%">\n'
        f"<thead>\n{head}</thead>\n<tbody>\n{''.join(rows)}</tbody>\n</table>\n</div>\n</div>\n</div>\n</div>\n</div>\n"
    )
    return page(["LiveRC", "Watch Live R/C Car Racing with Scoring and Video"], body)


# ---------------------------------------------------------------------------------------------
# Practice
# ---------------------------------------------------------------------------------------------
def _empty_day_panel(day: dt.date) -> str:
    # The month view embeds the session panel of another day (the capture day), empty
    # (practice-month-canberraoffroad-2025-10.html, FIELD-GUIDE §8).
    return (
        '<div class="col-lg-8">\n<div class="panel panel-default">\n'
        f'<div class="panel-heading"><i class="fa fa-clock-o fa-fw"></i> Practice Sessions on {_long_date(day)}</div>\n'
        '<div class="panel-body no_padding">\nThere are no practice sessions available for the given date.\n'
        "</div>\n</div>\n</div>\n"
    )


def render_practice_month(m: PracticeMonth, *, track_name: str, capture_day: dt.date) -> str:
    month_name = dt.date.fromisoformat(m.month + "-01").strftime("%B %Y")
    options = "".join(
        f'<option value="{v}"{SELECTED if v == m.month else ""}>'
        f'{dt.date.fromisoformat(v + "-01"):%B %Y}</option>\n'
        for v in m.available_months
    )
    rows = "".join(
        f'<tr>\n<td><a href="/practice/?p=session_list&d={d.date.isoformat()}">{d.date:%a}, {_short_date(d.date)}</a></td>\n'
        f'<td><a href="/practice/?p=session_list&d={d.date.isoformat()}">{d.session_count}</a></td>\n</tr>\n'
        for d in m.days
    )
    body = (
        '<div class="row page-breadcrumb">\n<div class="col-lg-12">\n'
        f'<h1 class="page-header"><span class="fa fa-road"></span> {h(track_name)}</h1>\n'
        '<h3 class="page-header"><span class="fa fa-clock-o"></span> Practice Sessions</h3>\n</div>\n</div>\n'
        '<div class="row">\n<div class="col-lg-4">\n<div class="panel panel-default">\n'
        f'<div class="panel-heading"><i class="fa fa-calendar fa-fw"></i> Practice Dates for {month_name}</div>\n'
        '<div class="panel-body no_padding">\n<p class="form-inline padding_container">\nSelect different month:\n'
        f'<select id="available_session_months" class="form-control input-sm">\n{options}</select>\n</p>\n'
        f'<table class="table">\n<tbody>\n<tr>\n<th>Date</th>\n<th># Sessions</th>\n</tr>\n{rows}</tbody>\n</table>\n'
        "</div>\n</div>\n</div>\n" + _empty_day_panel(capture_day) + "</div>\n"
    )
    return page([track_name, f"Practice Sessions for {month_name}"], body)


def _spelled(seconds: int) -> str:
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [(hours, "hour"), (minutes, "minute"), (secs, "second")]
    return ", ".join(f"{n} {u}{'' if n == 1 else 's'}" for n, u in parts if n or u == "second")


def render_practice_day(day: PracticeDay, *, track_name: str) -> str:
    label = _long_date(day.date)
    rows = "".join(
        f'<tr>\n<td><a href="/practice/?p=view_session&id={s.session_id}">{h(s.driver_name)}</a><br />'
        f"<small>{h(s.class_name)} ({h(s.transponder or '')})</small></td>\n"
        f'<td><div class="hidden">{s.start_local:%Y-%m-%d %H:%M:%S}</div>{_clock(s.start_local)}</td>\n'
        f'<td data-sort="{s.laps}">{s.laps}<br />{_length(s.length_seconds)}</td>\n'
        f'<td data-sort="{s.fastest_lap:.3f}">Fast: {s.fastest_lap:.3f}<br />Avg: {s.avg_lap:.3f}</td>\n</tr>\n'
        for s in day.sessions
    )
    head = "<tr>\n<th>Driver<br />Class</th>\n<th>Time</th>\n<th>Laps <br />Length</th>\n<th>Fast<br />Avg</th>\n</tr>\n"
    st = day.stats
    data = json.dumps([{"label": k, "data": v} for k, v in st.laps_per_class.items()], separators=(",", ":"))
    data = data.replace("/", "\\/")
    leaders = []
    for ld in day.leaderboard:
        link = f'<a href="/practice/?p=view_session&id={ld.session_id}">{ld.lap_time:.3f}</a>'
        if ld.scope == "Overall Fastest":
            cell = f"{link} (<small>{h(ld.driver_name)}</small>)<br /><small>{h(ld.class_name)}</small>"
        else:
            cell = f"{link} <small>({h(ld.driver_name)})</small>"
        leaders.append(f"<tr>\n<th>{h(ld.scope)}</th>\n<td>{cell}</td>\n</tr>\n")
    body = (
        breadcrumb(track_name, "Practice Sessions", "clock-o", label)
        + '<div class="row">\n<div class="col-lg-8">\n<div class="panel panel-default">\n'
        f'<div class="panel-heading"><i class="fa fa-clock-o fa-fw"></i> Practice Sessions on {label}</div>\n'
        '<div class="panel-body no_padding">\n<div class="table-responsive">\n'
        '<table class="table table-striped practice_session_list" cellspacing="0" width="100%">\n'
        f"<thead>\n{head}</thead>\n<tfoot>\n{head}</tfoot>\n<tbody>\n{rows}</tbody>\n</table>\n</div>\n</div>\n</div>\n</div>\n"
        '<div class="col-lg-4">\n<div class="panel panel-default">\n'
        f'<div class="panel-heading"><i class="fa fa-line-chart fa-fw"></i> Practice Stats for {label}</div>\n'
        '<div class="panel-body no_padding">\n<table class="table">\n<tbody>\n'
        f"<tr>\n<th>Total Laps</th>\n<td>{st.total_laps:,}</td>\n</tr>\n"
        f"<tr>\n<th>Total Track Time</th>\n<td>{_spelled(st.total_track_time_seconds)}</td>\n</tr>\n"
        f"<tr>\n<th>Unique Drivers</th>\n<td>{st.unique_drivers}</td>\n</tr>\n"
        f"<tr>\n<th>Unique Classes</th>\n<td>{st.unique_classes}</td>\n</tr>\n"
        f"<tr>\n<th>Time Range</th>\n<td>\nFirst Session: {_clock(st.first_session_local)}<br />\n"
        f"Last Session: {_clock(st.last_session_local)}<br />\n</td>\n</tr>\n"
        '<tr>\n<th colspan="2">\nLaps-by-Class\n<div class="flot-chart">\n'
        '<div class="flot-chart-content" id="chart_laps_by_class"></div>\n</div>\n'
        f'<script type="text/javascript">\nvar data = {data};\n</script>\n</th>\n</tr>\n'
        "</tbody>\n</table>\n</div>\n</div>\n"
        '<div class="panel panel-default">\n'
        f'<div class="panel-heading"><i class="fa fa-car fa-fw"></i> Practice Leaderboard for {label}</div>\n'
        f'<div class="panel-body no_padding">\n<table class="table">\n<tbody>\n{"".join(leaders)}</tbody>\n</table>\n'
        "</div>\n</div>\n</div>\n</div>\n"
    )
    return page([track_name, f"Practice Sessions on {label}"], body)


def _length(seconds: int | float | None) -> str:
    s = int(seconds or 0)
    return f"{s // 60}:{s % 60:02d}" if s >= 60 else str(s)


def _range_value(seconds: float | None) -> str:
    s = int(seconds or 0)
    return f"{s // 60}:{s % 60:02d}" if s >= 60 else str(s)


def render_practice_session(s: PracticeSession, *, track_name: str) -> str:
    start = _clock(s.start_local)
    fastest = min(range(len(s.laps)), key=lambda i: (s.laps[i].lap_time, i))
    laps_html = "".join(
        f'<div>\n<span\n{FAST if i == fastest else ""}\n>Lap {lap.lap_number}: {lap.lap_time:.3f}</span>\n</div>\n'
        for i, lap in enumerate(s.laps)
    )
    laps_obj = json.dumps([
        {"x": str(lap.lap_number), "lap_time": f"{lap.lap_time:.3f}", "date": lap.end_local.date().isoformat(),
         "time": f"{lap.end_local:%H:%M:%S}",
         "date_time_display": f"{lap.end_local:%m/%d/%Y} {_clock(lap.end_local)}",
         "time_display": _clock(lap.end_local), "is_valid": "1" if lap.is_valid else "0"}
        for lap in s.laps
    ], separators=(",", ":")).replace("/", "\\/")

    def opt(x: float | None) -> str:
        return "" if x is None else f"{x:.3f}"

    length = _length(s.length_seconds)
    body = (
        '<div class="row page-breadcrumb">\n<div class="col-lg-12">\n'
        f'<h1 class="page-header"><span class="fa fa-road"></span> {h(track_name)}</h1>\n<div class="clearfix">\n'
        f'<h3 class="page-header text-nowrap pull-left"><span class="fa fa-clock-o"></span> Practice Session ({h(s.driver_name)})</h3>\n'
        f'<h5 class="page-header text-nowrap pull-left"><span class="fa fa-calendar"></span> {start}</h5>\n'
        "</div>\n</div>\n</div>\n"
        '<div class="row">\n<div class="col-lg-6">\n<div class="panel panel-default">\n'
        f'<div class="panel-heading"><i class="fa fa-user"></i> {h(s.driver_name)} ({start})</div>\n'
        '<div class="panel-body no_padding">\n<table class="table">\n<tbody>\n'
        f"<tr>\n<th>Driver</th>\n<td>{h(s.driver_name)}</td>\n</tr>\n"
        f"<tr>\n<th>Class</th>\n<td>{h(s.class_name)}</td>\n</tr>\n"
        f"<tr>\n<th>Transponder</th>\n<td>{h(s.transponder or '')}</td>\n</tr>\n"
        f"<tr>\n<th>Session Time</th>\n<td>\nDate: {_long_date(s.date)}<br />\nStart: {start}<br />\n"
        f"End: {_clock(s.end_local)}<br />\nLength of Session: {length}\t\t\t\t\t\t\t\t</td>\n</tr>\n"
        f"<tr>\n<th>Num Laps</th>\n<td>{s.lap_count}</td>\n</tr>\n"
        f"<tr>\n<th>Fastest Lap</th>\n<td>{opt(s.fastest_lap)}</td>\n</tr>\n"
        f"<tr>\n<th>Top 3 Consec</th>\n<td>{opt(s.top3_consecutive)}</td>\n</tr>\n"
        f"<tr>\n<th>Averages</th>\n<td>\nAvg: {opt(s.avg_lap)}<br />\nTop 5: {opt(s.avg_top5)}<br />\n"
        f"Top 10: {opt(s.avg_top10)}<br />\nTop 15: {opt(s.avg_top15)}<br />\n"
        f"Std Deviation: {opt(s.std_deviation)}<br />\nConsistency: {opt(s.consistency)}%<br />\n</td>\n</tr>\n"
        f"<tr>\n<th>Valid Lap Range</th>\n<td>\n{_range_value(s.valid_lap_min)} to {_range_value(s.valid_lap_max)}<br />\n"
        '<small>(lap times outside of this range are maked as "invalid")</small>\n</td>\n</tr>\n'
        "</tbody>\n</table>\n</div>\n</div>\n</div>\n"
        '<div class="col-lg-6">\n<div class="panel panel-default">\n'
        '<div class="panel-heading"><i class="fa fa-bar-chart-o"></i> Lap Times</div>\n<div class="panel-body">\n'
        f'<div class="laps_list clearfix">\n{laps_html}</div>\n'
        "<div><em><small>* indicates an invalid lap (not counted in stats)</small></em></div>\n</div>\n</div>\n"
        '<div class="panel panel-default">\n<div class="panel-heading"><i class="fa fa-area-chart"></i> Lap-by-Lap Graph</div>\n'
        '<div class="panel-body">\n<div class="flot-chart flot-chart-modal">\n'
        '<div class="flot-chart-content" id="chart_driver_laps"></div>\n'
        f'<script type="text/javascript">\nvar lapsObj = {laps_obj};\nvar laps = [];\n</script>\n'
        "</div>\n</div>\n</div>\n</div>\n</div>\n"
    )
    title = f"Practice Session for {s.driver_name} on {_long_date(s.date)} at {start}"
    return page([track_name, title], body)
