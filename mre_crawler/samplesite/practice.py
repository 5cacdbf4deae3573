"""Practice days of one track: sessions with laps, the day overview's stats panel, the month view.

Traps the sample reproduces (FIELD-GUIDE §8-10): one driver on several transponders, one
transponder lent to several drivers, ``Unknown Driver``/``Unknown Class`` sessions, a session
starting just before midnight (it belongs to the day it started; its laps end the next day), a day
on the track zone's DST change with a session across the changed hour, and stats computed as
LiveRC does (Unique Drivers leaves out Unknown Driver; Unique Classes counts Unknown Class; total
track time = sum of laps x avg).
"""

from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from mre_crawler import urls
from mre_crawler.items import (
    PracticeDay,
    PracticeDayRef,
    PracticeLap,
    PracticeLeader,
    PracticeMonth,
    PracticeSession,
    PracticeSessionSummary,
    PracticeStats,
)
from mre_crawler.samplesite.places import PRACTICE_CLASSES, PRACTICE_LAP_MS

UNKNOWN_DRIVER = "Unknown Driver"
UNKNOWN_CLASS = "Unknown Class"


@dataclass
class PracticeDriver:
    name: str  # mixed case on practice pages ("Conor Merrigan")
    class_name: str
    transponder: str
    pace: float


@dataclass
class PracticeDayBuild:
    day: PracticeDay
    sessions: list[PracticeSession]
    notes: list[str] = field(default_factory=list)  # what is special about this day, for the truth


@dataclass
class PracticeBuild:
    months: list[PracticeMonth]
    days: list[PracticeDayBuild]
    capture_day: dt.date
    dst_days: list[dict]
    cross_midnight: list[dict]
    shared_transponders: list[dict]
    multi_transponder_drivers: list[dict]


def dst_changes(zone: str, year: int) -> list[tuple[dt.date, str, dt.time]]:
    """The zone's DST change days in ``year``: (date, spring_forward|fall_back, local time of change)."""
    tz = ZoneInfo(zone)
    out = []
    day = dt.date(year, 1, 1)
    prev = dt.datetime.combine(day, dt.time(12), tz).utcoffset()
    while day.year == year:
        nxt = day + dt.timedelta(days=1)
        off = dt.datetime.combine(nxt, dt.time(12), tz).utcoffset()
        if off != prev:
            # find the hour on `nxt` (or the night before noon) where the offset changed
            for h in range(0, 12):
                if dt.datetime.combine(nxt, dt.time(h, 30), tz).utcoffset() == off and \
                        dt.datetime.combine(nxt, dt.time(max(h - 1, 0), 0), tz).utcoffset() != off:
                    break
            else:
                h = 2
            kind = "spring_forward" if off > prev else "fall_back"
            # The loop finds the first wall-clock hour after the change; a spring-forward change
            # happens at the hour the clock skips (2:00 -> 3:00), one hour earlier.
            out.append((nxt, kind, dt.time(h - 1 if kind == "spring_forward" else h, 0)))
        prev = off
        day = nxt
    return out


def _name_case(upper: str) -> str:
    return " ".join(w[:1] + w[1:].lower() if not w.startswith(("O'", "D'")) else w[:3] + w[3:].lower()
                    for w in upper.split()).replace("Mcm", "McM").replace("Mcc", "McC")


def practice_drivers(rng: random.Random, names: list[str], base_transponder: int) -> list[PracticeDriver]:
    drivers = []
    for k, upper in enumerate(names):
        cls = PRACTICE_CLASSES[k % len(PRACTICE_CLASSES)]
        drivers.append(PracticeDriver(_name_case(upper), cls, str(base_transponder + 7919 * k),
                                      0.95 + 0.15 * rng.random()))
    # One person on several transponders across two classes (Greg Rosander has three).
    d0 = drivers[0]
    drivers.append(PracticeDriver(d0.name, d0.class_name, str(base_transponder + 500_001), d0.pace))
    other = next(c for c in PRACTICE_CLASSES if c != d0.class_name)
    drivers.append(PracticeDriver(d0.name, other, str(base_transponder + 500_002), d0.pace))
    # One transponder lent to other drivers (a club loaner).
    loan = str(base_transponder + 600_000)
    for k in (1, 2, 3):
        drivers.append(PracticeDriver(drivers[k].name, drivers[k].class_name, loan, drivers[k].pace))
    # A transponder nobody registered: Unknown Driver in Unknown Class.
    drivers.append(PracticeDriver(UNKNOWN_DRIVER, UNKNOWN_CLASS, str(base_transponder + 700_000), 1.0))
    return drivers


def _clock(t: dt.time | dt.datetime) -> str:
    """``4:36:38pm`` (no leading zero, no space)."""
    h = t.hour % 12 or 12
    return f"{h}:{t.minute:02d}:{t.second:02d}{'am' if t.hour < 12 else 'pm'}"


def length_text(seconds: int) -> str:
    """Day overview length: ``8:28``, or bare seconds under a minute (``55``)."""
    return f"{seconds // 60}:{seconds % 60:02d}" if seconds >= 60 else str(seconds)


def _session(rng: random.Random, slug: str, sid: int, drv: PracticeDriver, start: dt.datetime,
             laps_n: int, valid: tuple[int, int]) -> PracticeSession:
    base = PRACTICE_LAP_MS.get(drv.class_name, 40_000) * drv.pace
    if drv.name == UNKNOWN_DRIVER:
        base = PRACTICE_LAP_MS[UNKNOWN_CLASS]
    lo, hi = valid[0] * 1000 + 1, valid[1] * 1000 - 1
    laps_ms = []
    for _ in range(laps_n):
        x = int(base * (0.95 + 0.12 * rng.random()))
        if rng.random() < 0.08:
            x += int(6000 * rng.random())  # an off, or a pause in the pit lane
        laps_ms.append(min(max(x, lo), hi))
    laps: list[PracticeLap] = []
    acc = 0
    for k, x in enumerate(laps_ms, 1):
        acc += x
        # lapsObj times are the moment the lap ended, to the second (practice-session-21289501.html)
        end = start + dt.timedelta(seconds=(acc + 500) // 1000)
        laps.append(PracticeLap(k, x / 1000, end, True))
    n = len(laps_ms)
    total = sum(laps_ms)
    avg = total / n / 1000
    ordered = sorted(laps_ms)

    def top(k: int) -> float | None:
        return float(f"{sum(ordered[:k]) / k / 1000:.3f}") if n >= k else None

    three = min((sum(laps_ms[i:i + 3]) for i in range(n - 2)), default=None)
    sd = math.sqrt(max(sum(x * x for x in laps_ms) / n - (total / n) ** 2, 0.0)) / 1000
    length = (total + 500) // 1000
    return PracticeSession(
        track_slug=slug, session_id=sid, driver_name=drv.name, class_name=drv.class_name,
        transponder=drv.transponder, date=start.date(), start_local=start,
        # End is 3:00 after the last lap (an inactivity timeout, practice-session-21289501.html)
        end_local=laps[-1].end_local + dt.timedelta(minutes=3),
        length_seconds=float(length), lap_count=n, fastest_lap=min(laps_ms) / 1000,
        top3_consecutive=None if three is None else three / 1000,
        avg_lap=float(f"{avg:.3f}"), avg_top5=top(5), avg_top10=top(10), avg_top15=top(15),
        std_deviation=float(f"{sd:.3f}"), consistency=float(f"{100 * (1 - sd / avg):.3f}"),
        valid_lap_min=float(valid[0]), valid_lap_max=float(valid[1]), laps=laps,
    )


def _stats_and_leaders(sessions: list[PracticeSession]) -> tuple[PracticeStats, list[PracticeLeader]]:
    laps_per_class: dict[str, int] = {}
    for s in sessions:
        laps_per_class[s.class_name] = laps_per_class.get(s.class_name, 0) + (s.lap_count or 0)
    # LiveRC's total track time is the sum of laps x avg (26,204.7 s on the saved day), not the span.
    track_time = sum((s.lap_count or 0) * (s.avg_lap or 0.0) for s in sessions)
    starts = [s.start_local.time() for s in sessions]
    stats = PracticeStats(
        total_laps=sum(s.lap_count or 0 for s in sessions),
        total_track_time_seconds=int(track_time + 0.5),
        unique_drivers=len({s.driver_name for s in sessions if s.driver_name != UNKNOWN_DRIVER}),
        unique_classes=len({s.class_name for s in sessions}),
        first_session_local=min(starts), last_session_local=max(starts),
        laps_per_class=dict(sorted(laps_per_class.items())),
    )
    known = [s for s in sessions if s.class_name != UNKNOWN_CLASS and s.driver_name != UNKNOWN_DRIVER]
    leaders: list[PracticeLeader] = []
    if known:
        best = min(known, key=lambda s: (s.fastest_lap, s.session_id))
        leaders.append(PracticeLeader("Overall Fastest", best.fastest_lap, best.driver_name, best.class_name,
                                      best.session_id))
        for cls in sorted({s.class_name for s in known}):
            b = min((s for s in known if s.class_name == cls), key=lambda s: (s.fastest_lap, s.session_id))
            leaders.append(PracticeLeader(cls, b.fastest_lap, b.driver_name, cls, b.session_id))
    return stats, leaders


def build_practice(
    rng: random.Random,
    *,
    slug: str,
    zone: str,
    names: list[str],
    track_index: int,
    days: int,
    months: int,
    reference: dt.date,
) -> PracticeBuild:
    drivers = practice_drivers(rng, names, 3_000_000 + track_index * 1000)
    unknown = drivers[-1]
    loaners = drivers[-4:-1]
    multi = [d for d in drivers if d.name == drivers[0].name]
    valid = rng.choice(((20, 70), (10, 120), (15, 90)))

    # Practice dates: the DST change days nearest the reference date (when the zone has DST), then
    # random days in the last `months` months. The capture day (the month view's foreign panel) is
    # the reference date, which never has sessions.
    changes = [c for y in (reference.year - 1, reference.year) for c in dst_changes(zone, y) if c[0] < reference]
    chosen: dict[dt.date, tuple[str, dt.time] | None] = {}
    for change in changes[-2:][: max(0, days - 1)]:
        chosen[change[0]] = (change[1], change[2])
    window = max(1, months) * 30
    guard = 0
    while len(chosen) < days and guard < days * 20:
        guard += 1
        d = reference - dt.timedelta(days=rng.randint(1, window))
        chosen.setdefault(d, None)
    dates = sorted(chosen)
    midnight_day = next((d for d in reversed(dates) if chosen[d] is None), None)

    sid = 20_000_000 + track_index * 1_000_000
    day_builds: list[PracticeDayBuild] = []
    dst_days, cross = [], []
    for n_day, d in enumerate(dates):
        plan = []  # (start, driver, laps)
        t = dt.datetime.combine(d, dt.time(10, 0)) + dt.timedelta(minutes=rng.randint(0, 90))
        for _ in range(rng.randint(6, 24)):
            drv = rng.choice(drivers[:-1]) if rng.random() > 0.1 else unknown
            laps = rng.randint(1, 22)
            plan.append((t, drv, laps))
            t += dt.timedelta(seconds=rng.randint(60, 900) + laps * 20)
            if t.hour >= 21:
                break
        notes = []
        if n_day == 0 or not any(p[1] is unknown for p in plan):
            plan.append((t + dt.timedelta(minutes=7, seconds=13), unknown, rng.randint(2, 6)))
        if n_day == 0:
            t2 = plan[-1][0] + dt.timedelta(minutes=11, seconds=5)
            for drv in loaners:
                plan.append((t2, drv, rng.randint(3, 8)))
                t2 += dt.timedelta(minutes=9, seconds=rng.randint(0, 59))
            for drv in multi:
                plan.append((t2, drv, rng.randint(3, 8)))
                t2 += dt.timedelta(minutes=8, seconds=rng.randint(0, 59))
            notes += ["shared_transponder", "multi_transponder", "unknown_driver"]
        special = chosen[d]
        if special is not None:
            kind, at = special
            # a session from half an hour before the change, running through the changed hour
            start = dt.datetime.combine(d, at) - dt.timedelta(minutes=31, seconds=17)
            plan.append((start, drivers[4 % (len(drivers) - 1)], 60))
            notes.append(f"dst_{kind}")
        if d == midnight_day:
            start = dt.datetime.combine(d, dt.time(23, 50 + rng.randint(0, 8), rng.randint(0, 59)))
            plan.append((start, drivers[5 % (len(drivers) - 1)], 25))
            notes.append("cross_midnight")
        plan.sort(key=lambda p: p[0])
        sessions = []
        for start, drv, laps in plan:
            sid += rng.randint(1, 40)
            sessions.append(_session(rng, slug, sid, drv, start, laps, valid))
        for s in sessions:
            if special is not None and s.lap_count == 60:
                dst_days.append({"track_slug": slug, "date": d.isoformat(), "kind": special[0],
                                 "change_local": special[1].isoformat(), "zone": zone,
                                 "session_id": s.session_id})
            if s.end_local.date() != s.start_local.date():
                cross.append({"track_slug": slug, "date": d.isoformat(), "session_id": s.session_id,
                              "start_local": s.start_local.isoformat(), "end_local": s.end_local.isoformat()})
        stats, leaders = _stats_and_leaders(sessions)
        # The overview lists sessions newest first.
        summaries = [
            PracticeSessionSummary(s.session_id, s.driver_name, s.class_name, s.transponder, s.start_local,
                                   s.lap_count, int(s.length_seconds), s.fastest_lap, s.avg_lap)
            for s in reversed(sessions)
        ]
        day_builds.append(PracticeDayBuild(PracticeDay(slug, d, summaries, stats, leaders), sessions, notes))

    by_month: dict[str, list[PracticeDayBuild]] = {}
    for b in day_builds:
        by_month.setdefault(b.day.date.strftime("%Y-%m"), []).append(b)
    available = sorted(by_month, reverse=True)
    months_items = [
        PracticeMonth(slug, m, list(available), [
            PracticeDayRef(b.day.date, len(b.sessions), urls.practice_day_url(slug, b.day.date))
            for b in sorted(by_month[m], key=lambda b: b.day.date, reverse=True)
        ])
        for m in available
    ]
    # A month without practice days: what real LiveRC answers is not captured (FIELD-GUIDE section 8
    # only says such months are left out of the month <select>); the generator answers as LiveRC
    # would, with the month view and an empty day table. Every month from the first practice day's
    # to the capture day's has a page, so a discovery over any range in between reads no 404.
    if available:
        month = dt.date.fromisoformat(available[-1] + "-01")
        last = reference.replace(day=1)
        while month <= last:
            key = month.strftime("%Y-%m")
            if key not in by_month:
                months_items.append(PracticeMonth(slug, key, list(available), []))
            month = (month + dt.timedelta(days=32)).replace(day=1)
        months_items.sort(key=lambda m: m.month, reverse=True)
    shared = [{"track_slug": slug, "transponder": loaners[0].transponder,
               "drivers": [d.name for d in loaners]}]
    multi_t = [{"track_slug": slug, "driver_name": multi[0].name, "transponders": [d.transponder for d in multi],
                "classes": sorted({d.class_name for d in multi})}]
    return PracticeBuild(months_items, day_builds, reference, dst_days, cross, shared, multi_t)
