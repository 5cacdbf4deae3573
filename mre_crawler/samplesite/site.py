"""The whole sample site: tracks, their events and practice days, as a stream of pages.

Each page carries its LiveRC URL, page type, the ``meta`` a crawler would send with the request,
the items a parser must read from it (the truth) and a lazy renderer. Randomness is seeded per
track, per event and per practice calendar (``random.Random("<seed>:track:<i>:event:<k>")``), so
one track can be regenerated alone (``expected_items``) and the same seed gives the same bytes.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from mre_crawler import urls
from mre_crawler.items import Track, TrackListing
from mre_crawler.samplesite import render
from mre_crawler.samplesite.events import EventBuild, build_event, race_item
from mre_crawler.samplesite.places import FIRST_NAMES, LAST_NAMES, PLACES, TRACK_NAMES, Place
from mre_crawler.samplesite.practice import UNKNOWN_CLASS, UNKNOWN_DRIVER, build_practice
from mre_crawler.samplesite.racing import Driver

REFERENCE_DATE = dt.date(2025, 11, 30)  # "today" on the sample site; practice months end here


@dataclass(frozen=True)
class SiteParams:
    tracks: int
    events: int  # events PER TRACK
    seed: int
    practice_days: int = 3  # per track
    practice_months: int = 2  # the practice days spread over this many recent months
    classes_per_event: tuple[int, int] = (1, 3)
    drivers_per_class: tuple[int, int] = (6, 24)
    reference_date: dt.date = REFERENCE_DATE
    # "classic": lettered ladders, triple A-mains, LCQs, lone A-Mains; "every": also bracket finals in
    # every label order, LCQs under their own class behind a placeholder, practice look-alikes
    # (samplesite.formats)
    formats: str = "classic"

    def __post_init__(self) -> None:
        if self.formats not in ("classic", "every"):
            raise ValueError(f"formats must be 'classic' or 'every', not {self.formats!r}")

    def as_json(self) -> dict[str, Any]:
        return {"tracks": self.tracks, "events": self.events, "seed": self.seed,
                "practice_days": self.practice_days, "practice_months": self.practice_months,
                "classes_per_event": list(self.classes_per_event),
                "drivers_per_class": list(self.drivers_per_class),
                "reference_date": self.reference_date.isoformat(), "formats": self.formats}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SiteParams:
        return cls(data["tracks"], data["events"], data["seed"], data["practice_days"], data["practice_months"],
                   tuple(data["classes_per_event"]), tuple(data["drivers_per_class"]),
                   dt.date.fromisoformat(data["reference_date"]), data.get("formats", "classic"))


@dataclass
class SitePage:
    url: str
    page_type: str
    file: str  # relative path under the output folder
    meta: dict[str, Any]
    items: list[Any]
    _render: Callable[[], str] = field(repr=False, default=lambda: "")

    def html(self) -> str:
        return self._render()


@dataclass
class TrackInfo:
    index: int
    slug_raw: str
    name: str
    place: Place

    @property
    def slug(self) -> str:
        return self.slug_raw.lower()


def track_info(index: int) -> TrackInfo:
    name, slug = TRACK_NAMES[index % len(TRACK_NAMES)]
    lap = index // len(TRACK_NAMES)
    if lap:
        name, slug = f"{name} {lap + 1}", f"{slug}{lap + 1}"
    return TrackInfo(index, slug, name, PLACES[index % len(PLACES)])


def driver_pool(rng: random.Random, index: int, size: int = 120) -> list[Driver]:
    names: list[tuple[str, str]] = []
    seen = set()
    while len(names) < size:
        pair = (rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES))
        if pair not in seen:
            seen.add(pair)
            names.append(pair)
    pool = []
    for k, (first, last) in enumerate(names):
        transponder = str(1_000_000 + rng.randrange(9_000_000))
        if k % 37 == 5:
            transponder += "/2"  # a second transponder registered under one number ("2222363/2")
        pool.append(Driver(100_000 + index * 5_000 + k, first, last, transponder, 0.94 + 0.2 * rng.random()))
    return pool


def _event_dates(rng: random.Random, count: int, reference: dt.date) -> list[dt.date]:
    """Oldest first, newest a few days before the reference date, spread over years."""
    day = reference - dt.timedelta(days=rng.randint(3, 20))
    dates = []
    for _ in range(count):
        dates.append(day)
        day -= dt.timedelta(days=rng.randint(6, 45))
    return list(reversed(dates))


def _event_ids(rng: random.Random, index: int, count: int) -> list[int]:
    """Ids mostly follow date order with a few inversions (track-events-canberraoffroad.html)."""
    used: set[int] = set()
    ids = []
    for k in range(count):
        value = 300_000 + index * 50_000 + 37 * k + rng.randint(0, 50)
        while value in used:
            value += 1
        used.add(value)
        ids.append(value)
    return ids


@dataclass
class Truth:
    """What the generator knows and a parser, a crawler or a bump-up detector must find."""

    tracks: list[dict] = field(default_factory=list)
    races: dict[str, dict] = field(default_factory=dict)
    bumpups: list[dict] = field(default_factory=list)
    practice: dict[str, list] = field(default_factory=lambda: {
        "dst_days": [], "cross_midnight": [], "shared_transponders": [], "multi_transponder_drivers": [],
        "unknown_driver_sessions": []})
    events: dict[str, dict] = field(default_factory=dict)


def _file(slug: str, name: str) -> str:
    return f"{slug}/{name}.html"


def iter_track(params: SiteParams, index: int, truth: Truth | None = None) -> Iterator[SitePage]:
    """Every page of one track, in crawl-friendly order; the dashboard and events list come last
    because they summarise what was generated."""
    info = track_info(index)
    slug, place = info.slug, info.place
    trng = random.Random(f"{params.seed}:track:{index}")
    pool = driver_pool(trng, index)
    dates = _event_dates(trng, params.events, params.reference_date)
    ids = _event_ids(trng, index, params.events)
    race_track = trng.choice(("Offroad", "Indoor Clay", "Outdoor Dirt", "Carpet Oval"))
    summaries = []
    totals = {"laps": 0, "races": 0, "entries": 0, "sessions": 0}
    for k in range(params.events):
        erng = random.Random(f"{params.seed}:track:{index}:event:{k}")
        ordinal = index * 100_000 + k
        build = build_event(erng, slug=slug, track_name=info.name, event_id=ids[k], ordinal=ordinal, day=dates[k],
                            pool=pool, classes_per_event=params.classes_per_event,
                            drivers_per_class=params.drivers_per_class, race_track=race_track,
                            formats=params.formats)
        summaries.append(build.summary)
        totals["laps"] += build.event.total_race_laps or 0
        totals["races"] += len(build.races)
        totals["entries"] += build.entry_list.total_entries or 0
        if truth is not None:
            _event_truth(truth, build, slug)
        yield from _event_pages(build, info)

    prng = random.Random(f"{params.seed}:track:{index}:practice")
    names = [d.name for d in pool[:12]]
    practice = build_practice(prng, slug=slug, zone=place.zone, names=names, track_index=index,
                              days=params.practice_days, months=params.practice_months,
                              reference=params.reference_date)
    for month in practice.months:
        yield SitePage(urls.practice_month_url(slug, month.month), "practice_month",
                       _file(slug, f"practice-month-{month.month}"), {"track_slug": slug, "month": month.month},
                       [month], lambda m=month: render.render_practice_month(m, track_name=info.name,
                                                                               capture_day=practice.capture_day))
    for db in practice.days:
        day = db.day
        yield SitePage(urls.practice_day_url(slug, day.date), "practice_day_overview",
                       _file(slug, f"practice-day-{day.date.isoformat()}"),
                       {"track_slug": slug, "date": day.date.isoformat()}, [day],
                       lambda d=day: render.render_practice_day(d, track_name=info.name))
        for s in db.sessions:
            totals["sessions"] += 1
            totals["laps"] += s.lap_count or 0
            yield SitePage(urls.practice_session_url(slug, s.session_id), "practice_session",
                           _file(slug, f"practice-session-{s.session_id}"),
                           {"track_slug": slug, "session_id": s.session_id, "date": day.date.isoformat()}, [s],
                           lambda s=s: render.render_practice_session(s, track_name=info.name))
    if truth is not None:
        for key in ("dst_days", "cross_midnight"):
            truth.practice[key].extend(getattr(practice, key))
        truth.practice["shared_transponders"].extend(practice.shared_transponders)
        truth.practice["multi_transponder_drivers"].extend(practice.multi_transponder_drivers)
        truth.practice["unknown_driver_sessions"].extend(
            {"track_slug": slug, "date": db.day.date.isoformat(), "session_id": s.session_id,
             "class_name": s.class_name}
            for db in practice.days for s in db.sessions
            if s.driver_name == UNKNOWN_DRIVER or s.class_name == UNKNOWN_CLASS)

    # the events list shows the newest event first
    newest_first = sorted(summaries, key=lambda e: (e.start_local, e.event_id), reverse=True)
    yield SitePage(urls.events_url(slug), "track_events", _file(slug, "events"), {"track_slug": slug},
                   newest_first, lambda: render.render_track_events(info.name, summaries))
    track = _track_item(trng, info, totals, len(summaries), practice)
    if truth is not None:
        truth.tracks.append({
            "index": index, "slug": slug, "slug_raw": info.slug_raw, "name": info.name, "zone": place.zone,
            "country_code": place.country_code, "state": place.state, "city": place.city,
            "postcode": place.postcode, "events": len(summaries),
            "latest_event_name": summaries[-1].name if summaries else None,
        })
    yield SitePage(urls.dashboard_url(slug), "track_dashboard", _file(slug, "index"), {"track_slug": slug},
                   [track], lambda: render.render_dashboard(track, street_for_map=place.street))


def _track_item(rng: random.Random, info: TrackInfo, totals: dict, events: int, practice) -> Track:
    place = info.place
    has_phone = rng.random() < 0.6
    ref_month = max((m.month for m in practice.months if m.days), default=None)
    return Track(
        slug=info.slug, name=info.name, address_name=info.name,
        address_lines=[place.street, place.city_line, place.country], city=place.city, region=place.region,
        postcode=place.postcode, country=place.country, country_code=place.country_code,
        phone=f"+1 555 {1000 + info.index:04d}" if has_phone else None,
        website=f"http://www.{info.slug}.example.org",
        email=f"info@{info.slug}.example.org",
        facebook=f"https://www.facebook.com/groups/{info.slug}/" if info.index % 2 else None,
        live_status="Track is Offline", results_this_month=rng.randint(0, 40),
        sessions_this_month=sum(len(d.sessions) for d in practice.days
                                if d.day.date.strftime("%Y-%m") == ref_month),
        lifetime_laps=totals["laps"], lifetime_practice_sessions=totals["sessions"],
        lifetime_races=totals["races"], lifetime_entries=totals["entries"], lifetime_events=events,
    )


def _event_pages(build: EventBuild, info: TrackInfo) -> Iterator[SitePage]:
    slug, ev = info.slug, build.event
    eid = ev.event_id
    for spec in build.races:
        race = race_item(spec, slug, eid)
        yield SitePage(urls.race_url(slug, race.race_id), "race_result", _file(slug, f"race-{race.race_id}"),
                       {"track_slug": slug, "event_id": eid, "race_id": race.race_id}, [race],
                       lambda r=race, c=spec.cls.colour: render.render_race(
                           r, track_name=info.name, event_name=ev.name, date_text=build.date_text, colour=c))
    yield SitePage(urls.event_url(slug, eid), "event", _file(slug, f"event-{eid}"),
                   {"track_slug": slug, "event_id": eid}, [ev],
                   lambda: render.render_event(ev, date_text=build.date_text))
    el = build.entry_list
    yield SitePage(urls.entry_list_url(slug, eid), "entry_list", _file(slug, f"entry-list-{eid}"),
                   {"track_slug": slug, "event_id": eid}, [el],
                   lambda: render.render_entry_list(el, track_name=info.name, event_name=ev.name,
                                                    date_text=build.date_text, race_track=ev.race_track,
                                                    total_laps=ev.total_race_laps))
    if build.points is not None:
        pt = build.points
        yield SitePage(urls.points_url(slug, pt.points_id), "qual_points", _file(slug, f"points-{pt.points_id}"),
                       {"track_slug": slug, "event_id": eid, "points_id": pt.points_id}, [pt],
                       lambda: render.render_points(pt, track_name=info.name, event_name=ev.name,
                                                    date_text=build.date_text))
    from mre_crawler.samplesite.heatsheets import event_heat_rank_pages

    yield from event_heat_rank_pages(build, info, _file)
    from mre_crawler.samplesite.multimain import event_multi_main_pages

    yield from event_multi_main_pages(build, info, _file)


def _event_truth(truth: Truth, build: EventBuild, slug: str) -> None:
    eid = build.event.event_id
    truth.events[str(eid)] = {
        "track_slug": slug, "event_id": eid, "name": build.event.name,
        "classes": [{"class_name": p.cls.name, "format": p.fmt, "qualifier_rounds": p.rounds,
                     "bump_count": p.bump if p.fmt != "lone" else 0, "main_size": p.main_size,
                     "stats_exclude_lap1": p.exclude_first, "lcq_label": p.lcq_label,
                     "drivers": len(p.drivers)} for p in build.plans],
        "races": len(build.races), "total_race_laps": build.event.total_race_laps,
    }
    for spec in build.races:
        truth.races[str(spec.race_id)] = {
            "track_slug": slug, "event_id": eid, "race_id": spec.race_id, "class_name": spec.cls.name,
            "class_label": spec.class_label, "race_name": " ".join(spec.race_name.split()),
            "round_name": spec.round_name, "race_number": spec.race_number,
            "session_type": "qualifying" if spec.kind == "heat" else "practice" if spec.kind == "practice" else "race",
            "session_kind": spec.kind, "tier": spec.tier, "leg": spec.leg,
            "stats_exclude_lap1": spec.exclude_first, "length_seconds": spec.length_s,
            "rows": len(spec.results),
            "dns": sum(1 for r in spec.results if r.status == "did_not_start"),
            "stopped_early": sum(1 for r in spec.results if r.status == "stopped_early"),
            "laps_by_driver": {str(r.driver_id): r.laps or 0 for r in spec.results},
            "grid": [d.driver_id for d in spec.grid],
        }
    for b in build.bumpups:
        truth.bumpups.append({
            "event_id": b.event_id, "track_slug": slug, "class_name": b.class_name,
            "source_race_id": b.source_race_id, "target_race_id": b.target_race_id, "driver_id": b.driver_id,
            "driver_name": b.driver_name, "source_position": b.source_position,
            "target_grid_position": b.target_grid_position, "target_status": b.target_status,
            "source_kind": b.source_kind, "source_tier": b.source_tier, "target_tier": b.target_tier,
        })


_ACTIVITY = ("1 minute ago", "Yesterday", "3 weeks ago", "last month", "2 days ago")
_STATUSES = (["live_video", "racing"], ["racing"], ["open_practice"], ["idle"], ["idle", "featured"])


def catalogue_page(params: SiteParams, latest: dict[int, str | None]) -> SitePage:
    listings = []
    for i in range(params.tracks):
        info = track_info(i)
        status = list(_STATUSES[i % len(_STATUSES)])
        path = "/live/" if "racing" in status or "open_practice" in status else "/results/"
        listings.append(TrackListing(info.slug, info.slug_raw, info.name, latest.get(i), _ACTIVITY[i % len(_ACTIVITY)],
                                     status, f"https://{info.slug_raw}.liverc.com{path}"))
    return SitePage(urls.CATALOGUE_URL, "track_catalogue", "live/index.html", {}, listings,
                    lambda: render.render_catalogue(listings))


def iter_site(params: SiteParams, truth: Truth | None = None) -> Iterator[SitePage]:
    """Every page of the site: track by track, then the catalogue (it names each track's latest event)."""
    latest: dict[int, str | None] = {}
    for i in range(params.tracks):
        for page in iter_track(params, i, truth):
            if page.page_type == "track_events":
                latest[i] = max(page.items, key=lambda e: (e.start_local, e.event_id)).name if page.items else None
            yield page
    yield catalogue_page(params, latest)
