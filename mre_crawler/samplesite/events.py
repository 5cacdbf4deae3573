"""One event's items: qualifier heats, the main ladder with bump-ups, entry list and qual points.

Event structure (as event-486677.html shows it): "Qualifier Round N" sections of "(Heat k/n)" races,
then "Main Events" where the lower mains run first and the top N finishers of each lower main start
at the back of the next main's grid. Variants drawn per class: a plain ladder (A..D), triple A-mains
(A1/A2/A3; bump-ups go into A1 only), an LCQ feeding the A-main, and a lone A-Main (Junior).
"""

from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import dataclass, field

from mre_crawler import urls
from mre_crawler.items import (
    STATUS_DNS,
    STATUS_STOPPED_EARLY,
    Entry,
    EntryList,
    Event,
    EventLink,
    EventRace,
    EventSummary,
    PointsRound,
    PointsRow,
    PointsTable,
    Race,
    RaceResult,
)
from mre_crawler.samplesite.heatsheets import ranking_mode
from mre_crawler.samplesite.places import EVENT_NAMES, JUNIOR, RACING_CLASSES, RacingClass
from mre_crawler.samplesite.racing import Driver, build_results, mss, simulate_laps

TIERS = "ABCD"


@dataclass
class RaceSpec:
    """A race before and after it is run; becomes a :class:`Race` page and an :class:`EventRace` row."""

    cls: RacingClass
    class_label: str  # the class printed in the event page's link text ("LCQ" for some LCQs)
    race_name: str  # as printed (heats carry a double space before "(Heat k/n)")
    round_name: str
    round_index: int  # 1.. for qualifier rounds, 99 for Main Events
    kind: str  # heat | main | triple_main_leg | lcq
    tier: str | None  # "A".."D" for mains; None for heats and LCQs
    length_s: int
    grid: list[Driver]
    exclude_first: bool
    results: list[RaceResult] = field(default_factory=list)
    race_id: int = 0
    race_number: int = 0
    completed: dt.datetime | None = None
    leg: int | None = None  # 1..3 for triple-main legs
    heat: tuple[int, int] | None = None


@dataclass
class BumpUp:
    event_id: int
    class_name: str
    source_race_id: int
    target_race_id: int
    driver_id: int
    driver_name: str
    source_position: int
    target_grid_position: int
    target_status: str
    source_kind: str
    source_tier: str | None
    target_tier: str | None


@dataclass
class ClassPlan:
    cls: RacingClass
    drivers: list[Driver]
    fmt: str  # ladder | triple | lcq | lone
    rounds: int
    bump: int
    main_size: int
    exclude_first: bool
    lcq_label: str | None = None
    lcq_race_name: str | None = None  # default "<class> LCQ"
    label_style: int = 0  # which label order a bracket class prints (samplesite.formats)
    bracket_lowest: int = 0  # a bracket's first round: 16 for 1/16 finals, 2 for the semis


@dataclass
class EventBuild:
    summary: EventSummary
    event: Event
    races: list[RaceSpec]  # run order
    entry_list: EntryList
    points: PointsTable | None
    bumpups: list[BumpUp]
    plans: list[ClassPlan]
    date_text: str


def _rank_key(res: RaceResult) -> tuple[int, float]:
    if res.status == STATUS_DNS or not res.laps:
        return (0, math.inf)
    return (-res.laps, res.total_time or 0.0)


def _plan_class(rng: random.Random, cls: RacingClass, pool: list[Driver], lo: int, hi: int,
                fmt: str | None = None) -> ClassPlan:
    """A class's plan; ``fmt`` given (samplesite.formats) skips the classic draw of the format."""
    if cls is JUNIOR:
        n = rng.randint(4, 10)
        return ClassPlan(cls, rng.sample(pool, n), "lone", 0, 0, n, rng.random() < 0.5)
    size = rng.choice((10, 12))
    bump = rng.choice((2, 3, 4))
    if fmt is None:
        fmt = rng.choices(("ladder", "triple", "lcq", "lone"), (0.5, 0.2, 0.2, 0.1))[0]
    n = rng.randint(lo, hi)
    if fmt == "lone":
        n = min(n, size)
    elif fmt == "lcq":
        n = max(size + 2, min(n, 2 * size - bump))
    else:
        n = min(n, 4 * size - 3 * bump)
        if fmt == "triple":
            n = max(n, 6)
    plan = ClassPlan(cls, rng.sample(pool, n), fmt, 0 if fmt == "lone" else rng.randint(1, 3),
                     bump, size, rng.random() < 0.5)
    if fmt == "lcq":
        # Some events publish the LCQ under its own class name (the race label's class is "LCQ").
        plan.lcq_label = rng.choice((cls.name, "LCQ"))
    return plan


def _heats(plan: ClassPlan, rng: random.Random, ranking: list[Driver]) -> list[list[Driver]]:
    count = math.ceil(len(ranking) / plan.main_size)
    order = ranking if ranking else list(plan.drivers)
    size = math.ceil(len(order) / count)
    return [order[i * size:(i + 1) * size] for i in range(count) if order[i * size:(i + 1) * size]]


def _run(rng: random.Random, spec: RaceSpec) -> RaceSpec:
    sims = simulate_laps(rng, spec.grid, spec.length_s, spec.cls.lap_ms,
                         dns_chance=0.05, stop_chance=0.06)
    spec.results = build_results(sims, spec.length_s, spec.exclude_first)
    return spec


def _bump_drivers(results: list[RaceResult], by_id: dict[int, Driver], n: int) -> list[tuple[int, Driver]]:
    """The top ``n`` starters of a lower main, with their finishing position."""
    out = []
    for res in results:
        if res.status != STATUS_DNS and len(out) < n:
            out.append((res.position, by_id[res.driver_id]))
    return out


def _qualify(rng: random.Random, plan: ClassPlan) -> tuple[list[RaceSpec], list[Driver]]:
    """Run the qualifier rounds; return the heats and the seeding (best laps/time of any round)."""
    best: dict[int, tuple[int, float]] = {d.driver_id: (0, math.inf) for d in plan.drivers}
    heats: list[RaceSpec] = []
    seeding = list(plan.drivers)
    rng.shuffle(seeding)
    for r in range(1, plan.rounds + 1):
        groups = _heats(plan, rng, seeding)
        for k, grid in enumerate(groups, 1):
            spec = RaceSpec(plan.cls, plan.cls.name, f"{plan.cls.name}  (Heat {k}/{len(groups)})",
                            f"Qualifier Round {r}", r, "heat", None, plan.cls.heat_seconds, grid,
                            plan.exclude_first, heat=(k, len(groups)))
            heats.append(_run(rng, spec))
            for res in spec.results:
                key = _rank_key(res)
                if key < best[res.driver_id]:
                    best[res.driver_id] = key
        seeding = sorted(plan.drivers, key=lambda d: (best[d.driver_id], d.driver_id))
    return heats, seeding


def _mains(rng: random.Random, plan: ClassPlan, seeding: list[Driver], event_id: int
           ) -> tuple[list[RaceSpec], list[tuple[RaceSpec, RaceSpec, int, Driver, int]]]:
    """Mains in run order (lowest first) and the bump-ups (source, target, position, driver, grid slot)."""
    from mre_crawler.samplesite import formats

    if plan.fmt in formats.FORMAT_KINDS:
        return formats.mains(rng, plan, seeding)
    return _ladder(rng, plan, seeding)


def _ladder(rng: random.Random, plan: ClassPlan, seeding: list[Driver]
            ) -> tuple[list[RaceSpec], list[tuple[RaceSpec, RaceSpec, int, Driver, int]]]:
    """The classic formats: a lettered ladder (A..D), triple A-mains, an LCQ into the A-Main, a lone A-Main."""
    cls, size, bump = plan.cls, plan.main_size, plan.bump
    by_id = {d.driver_id: d for d in plan.drivers}
    length = {t: cls.main_seconds[min(i, len(cls.main_seconds) - 1)] for i, t in enumerate(TIERS)}
    name = cls.name
    bumps: list[tuple[RaceSpec, RaceSpec, int, Driver, int]] = []
    if plan.fmt == "lone":
        spec = RaceSpec(cls, name, f"{name} A-Main", "Main Events", 99, "main", "A", length["A"],
                        seeding, plan.exclude_first)
        return [_run(rng, spec)], bumps
    if plan.fmt in ("lcq", "lcq_own"):
        direct, rest = seeding[: size - bump], seeding[size - bump:]
        lcq = _run(rng, RaceSpec(cls, plan.lcq_label or name, plan.lcq_race_name or f"{name} LCQ", "Main Events", 99, "lcq", None,
                                 min(length["D"], 300), rest, plan.exclude_first))
        movers = _bump_drivers(lcq.results, by_id, bump)
        a = RaceSpec(cls, name, f"{name} A-Main", "Main Events", 99, "main", "A", length["A"],
                     direct + [d for _, d in movers], plan.exclude_first)
        _run(rng, a)
        for k, (pos, d) in enumerate(movers):
            bumps.append((lcq, a, pos, d, len(direct) + k + 1))
        return [lcq, a], bumps
    # ladder / triple: the smallest number of mains that holds everyone (bumped drivers race twice)
    n = len(seeding)
    m = 1
    while m < 4 and m * size - (m - 1) * bump < n:
        m += 1
    direct: list[list[Driver]] = []
    start = 0
    for i in range(m):
        take = size - bump if i < m - 1 else n - start
        direct.append(seeding[start:start + take])
        start += take
    run: list[RaceSpec] = []
    movers: list[tuple[int, Driver]] = []
    source: RaceSpec | None = None
    for i in reversed(range(m)):
        tier = TIERS[i]
        grid = direct[i] + [d for _, d in movers]
        if tier == "A" and plan.fmt == "triple":
            legs = []
            for leg in (1, 2, 3):
                # A2 and A3 start in the same order as A1; bump-ups join the A-main in A1 only.
                spec = RaceSpec(cls, name, f"{name} A{leg}-Main", "Main Events", 99, "triple_main_leg", "A",
                                600, list(grid), plan.exclude_first, leg=leg)
                legs.append(spec)
            target = legs[0]
            specs = legs
        else:
            target = RaceSpec(cls, name, f"{name} {tier}-Main", "Main Events", 99, "main", tier, length[tier],
                              grid, plan.exclude_first)
            specs = [target]
        if source is not None:
            for k, (pos, d) in enumerate(movers):
                bumps.append((source, target, pos, d, len(direct[i]) + k + 1))
        for spec in specs:
            _run(rng, spec)
            run.append(spec)
        movers = _bump_drivers(target.results, by_id, bump) if i > 0 else []
        source = target
    return run, bumps


def _schedule(quals: list[list[RaceSpec]], mains: list[list[RaceSpec]]) -> list[RaceSpec]:
    """Run order: each qualifier round runs every class's heats; the mains interleave the classes
    round-robin, keeping each class's own order (lower mains first)."""
    order: list[RaceSpec] = []
    rounds = max((s.round_index for q in quals for s in q), default=0)
    for r in range(1, rounds + 1):
        for q in quals:
            order.extend(s for s in q if s.round_index == r)
    queues = [list(m) for m in mains]
    while any(queues):
        for q in queues:
            if q:
                order.append(q.pop(0))
    return order


def _times(rng: random.Random, races: list[RaceSpec], day: dt.date) -> None:
    """Completion times: a race finishes its length plus a turnaround after the previous one; a
    day of racing ends around 6pm, when the event continues the next morning."""
    t = dt.datetime.combine(day, dt.time(8, 0)) + dt.timedelta(minutes=rng.randint(0, 45))
    for spec in races:
        t += dt.timedelta(seconds=spec.length_s + 60 * rng.randint(3, 8))
        if t.hour >= 18:
            t = dt.datetime.combine(t.date() + dt.timedelta(days=1), dt.time(8, 30)) + dt.timedelta(
                seconds=spec.length_s)
        spec.completed = t.replace(second=0, microsecond=0)


def date_text(start: dt.date, end: dt.date) -> str:
    """The breadcrumb's ``Nov 16, 2025`` or ``Apr 23, 2025 to Apr 27, 2025``."""
    first = f"{start:%b} {start.day}, {start.year}"
    if start == end:
        return first
    return f"{first} to {end:%b} {end.day}, {end.year}"


def build_event(
    rng: random.Random,
    *,
    slug: str,
    track_name: str,
    event_id: int,
    ordinal: int,
    day: dt.date,
    pool: list[Driver],
    classes_per_event: tuple[int, int],
    drivers_per_class: tuple[int, int],
    race_track: str,
    formats: str = "classic",
) -> EventBuild:
    k = rng.randint(*classes_per_event)
    classes = rng.sample(RACING_CLASSES, min(k, len(RACING_CLASSES)))
    if rng.random() < 0.3:
        classes.append(JUNIOR)
    if formats == "classic":
        plans = [_plan_class(rng, c, pool, *drivers_per_class) for c in classes]
    else:
        from mre_crawler.samplesite import formats as site_formats

        plans = site_formats.plan_classes(rng, classes, pool, drivers_per_class)

    quals: list[list[RaceSpec]] = []
    mains: list[list[RaceSpec]] = []
    raw_bumps = []
    for plan in plans:
        heats, seeding = _qualify(rng, plan)
        run, bumps = _mains(rng, plan, seeding, event_id)
        quals.append(heats)
        mains.append(run)
        raw_bumps.extend(bumps)
    races = _schedule(quals, mains)
    _times(rng, races, day)

    # Race numbers restart at 1 in each round; race ids are not in race order: qualifier ids run
    # in race order, main ids are handed out class by class (event-486677.html).
    base = 6_000_000 + ordinal * 500
    numbers: dict[str, int] = {}
    next_id = base
    for spec in races:
        numbers[spec.round_name] = numbers.get(spec.round_name, 0) + 1
        spec.race_number = numbers[spec.round_name]
        if spec.kind == "heat":
            spec.race_id = next_id
            next_id += 1
    for run in mains:
        for spec in sorted(run, key=lambda s: (s.tier or "Z", s.leg or 0)):
            spec.race_id = next_id
            next_id += 1

    start, end = races[0].completed.date(), races[-1].completed.date()
    name = rng.choice(EVENT_NAMES).format(year=day.year, n=rng.randint(1, 12))
    entry_list = _entry_list(slug, event_id, plans)
    total_laps = sum(r.laps or 0 for s in races for r in s.results)
    stamp_time = rng.choice((None, None, None, dt.time(8, 30), dt.time(9, 0)))
    summary = EventSummary(
        track_slug=slug, event_id=event_id, name=name,
        start_local=dt.datetime.combine(start, stamp_time or dt.time(0, 0)),
        start_has_time=stamp_time is not None, event_date=start,
        entries=entry_list.total_entries, drivers=entry_list.total_drivers,
        # the events list prints one date even for multi-day events (track-events-canberraoffroad.html)
        event_date_end=start,
    )
    points = _points(slug, event_id, ordinal, plans, quals)
    event = Event(
        track_slug=slug, event_id=event_id, name=name, track_name=track_name,
        date_start=start, date_end=end,
        races=_event_races(races), links=_links(slug, event_id, ordinal, races, plans, points),
        race_track=race_track, entries=entry_list.total_entries, drivers=entry_list.total_drivers,
        total_race_laps=total_laps,
    )
    bumpups = [
        BumpUp(event_id, src.cls.name, src.race_id, tgt.race_id, d.driver_id, d.name, pos, slot,
               next(r.status for r in tgt.results if r.driver_id == d.driver_id),
               src.kind, src.tier, tgt.tier)
        for src, tgt, pos, d, slot in raw_bumps
    ]
    return EventBuild(summary, event, races, entry_list, points, bumpups, plans, date_text(start, end))


def _event_races(races: list[RaceSpec]) -> list[EventRace]:
    out = []
    for index, spec in enumerate(races):
        label = f"Race {spec.race_number}: {spec.class_label} ({spec.race_name})"
        out.append(EventRace(
            race_id=spec.race_id, round_name=spec.round_name, race_number=spec.race_number,
            class_name=spec.class_label, race_name=" ".join(spec.race_name.split()),
            race_label_raw=label, completed_local=spec.completed,
            heat_number=spec.heat[0] if spec.heat else None,
            heat_count=spec.heat[1] if spec.heat else None, schedule_index=index,
        ))
    # in page order: the event page lists the newest race first (event-486677.html)
    return out[::-1]


def race_item(spec: RaceSpec, slug: str, event_id: int) -> Race:
    prefix = "M" if spec.round_index == 99 else "Q"
    return Race(
        track_slug=slug, event_id=event_id, race_id=spec.race_id, race_number=spec.race_number,
        race_name=" ".join(spec.race_name.split()), round_name=spec.round_name,
        length_seconds=spec.length_s, length_kind="Timed",
        caption_tag=f"{prefix}1 Race #{spec.race_number}", results=spec.results,
    )


def _links(slug: str, event_id: int, ordinal: int, races: list[RaceSpec], plans: list[ClassPlan],
           points: PointsTable | None) -> list[EventLink]:
    rounds = max((p.rounds for p in plans), default=0)
    links = [EventLink("entry_list", event_id, "Entry List", urls.entry_list_url(slug, event_id))]
    sheet = 9_000_000 + ordinal * 10
    # Heat sheets are listed newest round first, Main Events last (event-486677.html).
    for r in range(rounds, 0, -1):
        links.append(EventLink("heat_sheet", sheet + r, f"Qualifier Round {r}", urls.heat_sheet_url(slug, sheet + r)))
    links.append(EventLink("heat_sheet", sheet, "Main Events", urls.heat_sheet_url(slug, sheet)))
    links.append(EventLink("overall_ranking", event_id, "Final Results", urls.overall_ranking_url(slug, event_id)))
    if points is not None:
        label = points.caption.replace("Qual Points (best ", "Results (")
        links.append(EventLink("points", points.points_id, label, urls.points_url(slug, points.points_id)))
    ranking = 1_400_000 + ordinal * 10
    for r in range(1, rounds + 1):
        links.append(EventLink("round_ranking", ranking + r, f"Qualifier Round {r} Rankings",
                               urls.round_ranking_url(slug, ranking + r, ranking_mode(ranking + r))))
    multi = 900_000 + ordinal * 10
    for k, plan in enumerate(plans):
        if plan.fmt == "triple":
            links.append(EventLink("multi_main", multi + k, f"{plan.cls.name} Triple A-Main Results",
                                   urls.multi_main_url(slug, multi + k)))
    return links


def _entry_list(slug: str, event_id: int, plans: list[ClassPlan]) -> EntryList:
    entries: list[Entry] = []
    classes: dict[str, int] = {}
    people: set[int] = set()
    for plan in plans:
        name = plan.cls.name
        ordered = sorted(plan.drivers, key=lambda d: (d.sort_name, d.driver_id))
        classes[name] = len(ordered)
        for row, d in enumerate(ordered, 1):
            entries.append(Entry(name, row, d.name, d.sort_name, d.transponder))
            people.add(d.driver_id)
    return EntryList(slug, event_id, classes, entries, len(entries), len(people))


def _points(slug: str, event_id: int, ordinal: int, plans: list[ClassPlan],
            quals: list[list[RaceSpec]]) -> PointsTable | None:
    """Qual points for the classes with two or more rounds: lower is better, the best rounds count."""
    rounds = max((p.rounds for p in plans), default=0)
    if rounds < 2:
        return None
    keep = rounds - 1
    rows: list[PointsRow] = []
    for plan, heats in zip(plans, quals):
        if plan.rounds < 2:
            continue
        n = len(plan.drivers)
        per_round: dict[int, dict[int, RaceResult]] = {}
        for r in range(1, plan.rounds + 1):
            results = [res for h in heats if h.round_index == r for res in h.results]
            results.sort(key=_rank_key)
            per_round[r] = {res.driver_id: res for res in results}
        scored = []
        for d in plan.drivers:
            cells = []
            for r in range(1, plan.rounds + 1):
                res = per_round[r][d.driver_id]
                rank = list(per_round[r]).index(d.driver_id) + 1
                if res.status == STATUS_DNS:
                    cells.append((r, n + 1, 0, 0.0, "DNS"))
                else:
                    flag = "DNF" if res.status == STATUS_STOPPED_EARLY else None
                    cells.append((r, 0 if rank == 1 else rank, res.laps, res.total_time, flag))
            counted = sorted(cells, key=lambda c: (c[1], c[0]))[:min(keep, len(cells))]
            counted_rounds = {c[0] for c in counted}
            result = sum(c[1] for c in counted)
            dropped = sum(c[1] for c in cells if c[0] not in counted_rounds)
            best = min(cells, key=lambda c: (-c[2], c[3] if c[2] else math.inf, c[0]))
            best_text = f"{best[2]}/{mss(round(best[3] * 1000))}" + (f" ({best[4]})" if best[4] else "")
            tie = f"[{dropped}] {best_text} ({best[0]})"
            scored.append((result, dropped, d, tie, cells, counted_rounds))
        scored.sort(key=lambda s: (s[0], s[1], s[2].driver_id))
        for pos, (result, _dropped, d, tie, cells, counted_rounds) in enumerate(scored, 1):
            rows.append(PointsRow(plan.cls.name, pos, d.name, result, tie, [
                PointsRound(r, pts, laps, total, flag, r in counted_rounds)
                for r, pts, laps, total, flag in cells
            ]))
    if not rows:
        return None
    return PointsTable(slug, event_id, 7_000_000 + ordinal, f"Qual Points (best {keep} of {rounds})",
                       "Best Throwout Then Best Result (Used)", rows)
