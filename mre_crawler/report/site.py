"""Write the report's pages into OUT_DIR from the warehouse (see ``data.py`` for what is read)."""

from __future__ import annotations

import datetime as dt
import shutil
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import jinja2

from mre_crawler.bumpups.render import ladder_chart, plain_confidence
from mre_crawler.bumpups.report import STATUS_TEXT, ClassLadder
from mre_crawler.charts import Series, ladder_legend_html, xy_chart_svg
from mre_crawler.report import format as fmt
from mre_crawler.report.data import Warehouse, bumpup_text, counted_legs, load, multi_main_standings

HERE = Path(__file__).parent


@dataclass
class ReportSummary:
    out_dir: Path
    pages: int
    events: int
    drivers: int
    practice_days: int


def environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters.update(lap=fmt.lap, race_time=fmt.race_time, duration=fmt.duration, when=fmt.when,
                       ordinal=fmt.ordinal, plural=fmt.plural, status=lambda s: STATUS_TEXT.get(s or "", s or ""))
    env.globals.update(event_href=event_href, driver_href=driver_href, track_href=track_href,
                       practice_href=practice_href, ladder_href=ladder_href, plain_confidence=plain_confidence)
    return env


def event_href(event_id: int) -> str:
    return f"event-{event_id}.html"


def driver_href(driver_id: int) -> str:
    return f"driver-{driver_id}.html"


def practice_driver_href(driver_key: str) -> str:
    """A practice-only driver's page: the name key in letters and digits, plus a short hash of the
    key (two keys that differ only in punctuation or accents get different pages)."""
    import hashlib
    import re

    slug = re.sub(r"[^a-z0-9]+", "-", driver_key.lower()).strip("-")[:40] or "driver"
    return f"driver-practice-{slug}-{hashlib.sha1(driver_key.encode()).hexdigest()[:6]}.html"


def track_href(slug: str) -> str:
    return f"track-{fmt.slug(slug)}.html"


def practice_href(source_event_id: str) -> str:
    return f"practice-{fmt.slug(str(source_event_id))}.html"


def ladder_href(event_id: int, class_name: str) -> str:
    return f"ladder-{event_id}-{fmt.slug(class_name)}.html"


class _Writer:
    def __init__(self, env: jinja2.Environment, out: Path):
        self.env, self.out, self.pages = env, out, 0

    def page(self, name: str, template: str, **context: Any) -> None:
        html = self.env.get_template(template).render(**context)
        (self.out / name).write_text(html, encoding="utf-8")
        self.pages += 1


def build_report(con: duckdb.DuckDBPyConnection, out: Path) -> ReportSummary:
    wh = load(con)
    out.mkdir(parents=True, exist_ok=True)
    assets = out / "assets"
    assets.mkdir(exist_ok=True)
    for f in (HERE / "static").iterdir():
        shutil.copyfile(f, assets / f.name)
    w = _Writer(environment(), out)
    known_drivers = {d["driver_id"] for d in wh.drivers}
    by_key = {d["driver_name_key"]: d["driver_id"] for d in wh.drivers if d["driver_name_key"]}
    generated = dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    common = {"generated": generated, "known_drivers": known_drivers}

    events_by_track: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for e in wh.events:
        events_by_track[e["track_slug"]].append(e)
    days_by_track: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for d in wh.practice_days:
        days_by_track[d["track_slug"]].append(d)
    track_names = {t["track_slug"]: t["track_name"] for t in wh.tracks}

    w.page("index.html", "index.html.j2", title="Races and practice", tracks=wh.tracks,
           events=wh.events[:15], practice_days=wh.practice_days[:10], track_names=track_names,
           drivers=len(wh.drivers), **common)
    for t in wh.tracks:
        w.page(track_href(t["track_slug"]), "track.html.j2", title=t["track_name"], track=t,
               events=events_by_track.get(t["track_slug"], []), practice_days=days_by_track.get(t["track_slug"], []),
               **common)

    races_by_event: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for r in wh.races:
        races_by_event[r["event_id"]].append(r)
    for e in wh.events:
        _event_pages(w, wh, e, races_by_event.get(e["event_id"], []), track_names, common)

    driver_races: dict[int, list[dict[str, Any]]] = defaultdict(list)
    events_by_id = {e["event_id"]: e for e in wh.events}
    for race in wh.races:
        for row in wh.results.get(race["race_id"], []):
            b = wh.bump_in.get((race["race_id"], row["driver_id"]))
            driver_races[row["driver_id"]].append({
                "race": race, "row": row, "event": events_by_id.get(race["event_id"]),
                "field": len(wh.results[race["race_id"]]), "bump": bumpup_text(b) if b else None})
    classes = sorted({c for d in wh.drivers for c in d["classes"] or []})
    for d in wh.drivers:
        entries = sorted(driver_races.get(d["driver_id"], []),
                         key=lambda x: (x["race"]["completed_local"] or dt.datetime.min), reverse=True)
        trend = wh.practice_trend.get(d["driver_name_key"] or "", [])
        w.page(driver_href(d["driver_id"]), "driver.html.j2", title=d["driver_name"], driver=d, practice_only=False,
               entries=entries,
               history=wh.driver_history.get(d["driver_id"], []), trend=trend,
               trend_chart=_trend_chart(trend, track_names), track_names=track_names, **common)

    # Drivers seen only at practice (no race result under their name) get a page of their own: the
    # practice best laps over time, as a racer's page shows them.
    practice_only = []
    for key, trend in sorted(wh.practice_trend.items()):
        if key in by_key or not key:
            continue
        name = next((t["driver_name"] for t in trend if t.get("driver_name")), key)
        driver = {"driver_name": name, "driver_key": key, "href": practice_driver_href(key),
                  "days": len({t["practice_date"] for t in trend}),
                  "tracks": sorted({track_names.get(t["track_slug"], t["track_slug"]) for t in trend}),
                  "last_practice": max(t["practice_date"] for t in trend)}
        practice_only.append(driver)
        w.page(driver["href"], "driver.html.j2", title=name, driver=driver, practice_only=True, entries=[],
               history=[], trend=trend, trend_chart=_trend_chart(trend, track_names), track_names=track_names,
               **common)
    practice_only.sort(key=lambda d: (d["driver_name"].lower(), d["driver_key"]))
    driver_pages = {key: driver_href(did) for key, did in by_key.items()}
    driver_pages.update({d["driver_key"]: d["href"] for d in practice_only})
    w.page("drivers.html", "drivers.html.j2", title="Drivers", drivers=wh.drivers, classes=classes,
           practice_only=practice_only, **common)

    for day in wh.practice_days:
        sid = day["source_event_id"]
        sessions: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for s in wh.practice_sessions.get(sid, []):
            sessions[s["driver_name"] or "Unknown Driver"].append(s)
        w.page(practice_href(sid), "practice.html.j2", title=f"Practice {fmt.when(day['practice_date'])}",
               day=day, track_name=track_names.get(day["track_slug"], day["track_slug"]),
               classes=wh.practice_classes.get(sid, []), sessions=sorted(sessions.items(), key=lambda kv: kv[0].lower()),
               driver_pages=driver_pages, chart=_practice_chart(wh.practice_laps.get(sid, []), day), **common)
    return ReportSummary(out, w.pages, len(wh.events), len(wh.drivers), len(wh.practice_days))


def _event_pages(w: _Writer, wh: Warehouse, event: dict[str, Any], races: list[dict[str, Any]],
                 track_names: dict[str, str], common: dict[str, Any]) -> None:
    report = wh.event_reports.get(event["event_id"])
    ladders: dict[str, ClassLadder] = {c.class_name: c for c in report.classes} if report else {}
    by_class: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in races:
        by_class[r["ladder_class"] or r["class_name"]].append(r)
    classes = []
    for class_name, class_races in by_class.items():
        ladder = ladders.get(class_name)
        ranked = [r for r in class_races if r["tier_rank"] is not None]
        standings = _standings(class_races, wh)
        has_ladder = ladder is not None and any(r.tier_rank is not None for r in ladder.rungs)
        classes.append({"class_name": class_name, "races": class_races, "ladder": ladder,
                        "summary": ladder.summary if ladder else [], "standings": standings,
                        "ladder_page": ladder_href(event["event_id"], class_name) if has_ladder else None,
                        "mains": len(ranked)})
        if has_ladder:
            assert ladder is not None
            w.page(ladder_href(event["event_id"], class_name), "ladder.html.j2",
                   title=f"{class_name}: mains ladder", event=event, class_name=class_name, ladder=ladder,
                   chart=ladder_chart(ladder, driver_href=lambda d: driver_href(d) if d in common["known_drivers"] else None),
                   legend=ladder_legend_html(), standings=standings,
                   track_name=track_names.get(event["track_slug"], event["track_slug"]), **common)
    classes.sort(key=lambda c: c["class_name"].lower())
    w.page(event_href(event["event_id"]), "event.html.j2", title=event["event_name"] or f"Event {event['event_id']}",
           event=event, classes=classes, results=wh.results, bump_in=wh.bump_in, bump_out=wh.bump_out,
           bumpup_text=bumpup_text, track_name=track_names.get(event["track_slug"], event["track_slug"]), **common)


def _standings(class_races: list[dict[str, Any]], wh: Warehouse) -> list[dict[str, Any]]:
    """Double/triple-main standings per tier that ran in legs: LiveRC's own when its multi-main
    page is stored, else a reading of the legs."""
    from mre_crawler.normalize import class_key

    legs_by_tier: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in class_races:
        if r["leg"] is not None and r["tier_label"]:
            legs_by_tier[r["tier_label"]].append(r)
    out = []
    for label, legs in sorted(legs_by_tier.items()):
        legs.sort(key=lambda r: r["leg"])
        first = legs[0]
        published = wh.multi_main.get((first["event_id"], class_key(first["class_name"]), first["tier_letter"]), [])
        source, table = multi_main_standings(legs, wh.results, published)
        if table:
            out.append({"tier_label": label, "legs": legs, "rows": table, "source": source,
                        "counted": counted_legs(sum(1 for r in legs if wh.results.get(r["race_id"]))),
                        "rule": published[0]["scoring_rule"] if published else None,
                        "disagree": sum(1 for row in table if source == "published" and not row["agrees"])})
    return out


def _practice_chart(laps: list[dict[str, Any]], day: dict[str, Any]) -> Any:
    if not laps:
        return ""
    by_class: dict[str, list[tuple[float, float]]] = defaultdict(list)
    midnight = dt.datetime.combine(day["practice_date"], dt.time())
    for lap in laps:
        hours = (lap["end_local"] - midnight).total_seconds() / 3600
        by_class[lap["class_name"] or "Unknown Class"].append((hours, lap["lap_time"]))
    xs = [p[0] for pts in by_class.values() for p in pts]
    ticks = [(h, f"{h % 24:02d}:00") for h in range(int(min(xs)), int(max(xs)) + 2)]
    series = [Series(name, pts, lines=False) for name, pts in sorted(by_class.items())]
    return xy_chart_svg(series, ticks, x_label="time of day", y_label="lap time (s), faster at the top",
                        title="Every valid lap of the day, by class")


def _trend_chart(trend: list[dict[str, Any]], track_names: dict[str, str]) -> Any:
    if not trend:
        return ""
    by_track: dict[str, list[tuple[float, float]]] = defaultdict(list)
    epoch = dt.date(2000, 1, 1)
    for row in trend:
        if row["best_lap"] is not None:
            by_track[track_names.get(row["track_slug"], row["track_slug"])].append(
                ((row["practice_date"] - epoch).days, row["best_lap"]))
    dates = sorted({row["practice_date"] for row in trend})
    step = max(1, len(dates) // 10)
    ticks = [((d - epoch).days, d.isoformat()) for d in dates[::step]]
    series = [Series(name, pts) for name, pts in sorted(by_track.items())]
    return xy_chart_svg(series, ticks, x_label="practice day", y_label="best lap (s), faster at the top",
                        title="Best practice lap per day", height=320)
