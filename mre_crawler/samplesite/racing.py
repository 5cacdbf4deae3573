"""Race simulation and LiveRC's statistics, producing the :class:`RaceResult` rows a race page shows.

All times are whole milliseconds while simulating, so lap times sum exactly to the printed total
(race-6304829.html: the sum of laps 1..N equals the Laps/Time total for every driver), and every
float in an item is ``float(printed text)``: the truth equals what a parser reads.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from mre_crawler.items import STATUS_DNS, STATUS_FINISHED, STATUS_STOPPED_EARLY, Lap, RaceResult


@dataclass
class Driver:
    driver_id: int
    first: str
    last: str
    transponder: str
    pace: float  # multiplier on the class lap time: 0.94 (fast) .. 1.15 (slow)

    @property
    def name(self) -> str:  # race and entry-list pages print names in upper case
        return f"{self.first} {self.last}"

    @property
    def sort_name(self) -> str:  # entry list's hidden key "LAST, FIRST"
        return f"{self.last}, {self.first}"


def mss(ms: int) -> str:
    """``1831382`` -> ``30:31.382``; under a minute ``56.135`` (qual-points…html)."""
    minutes, rest = divmod(ms, 60_000)
    if minutes:
        return f"{minutes}:{rest // 1000:02d}.{rest % 1000:03d}"
    return f"{rest // 1000}.{rest % 1000:03d}"


def secs3(ms: int) -> str:
    return f"{ms // 1000}.{ms % 1000:03d}"


def js_lap(ms: int) -> str:
    """racerLaps lap times drop trailing zeros (``'38.17'``, ``'40.9'``) and never use m:ss."""
    s = secs3(ms).rstrip("0")
    return s[:-1] if s.endswith(".") else s


@dataclass
class DriverStats:
    """The figures LiveRC prints for one driver, as the strings it prints them."""

    fast: str = ""
    fast_lap_number: int | None = None
    avg: str = ""
    top5: str = ""
    top10: str = ""
    top15: str = ""
    top2: str = ""
    top3: str = ""
    sd3: str = ""  # racerLaps precision
    sd2: str = ""  # table precision
    cons3: str = ""
    cons2: str = ""


def _window_min(values: list[int], k: int) -> int | None:
    if len(values) < k:
        return None
    cur = sum(values[:k])
    best = cur
    for i in range(k, len(values)):
        cur += values[i] - values[i - k]
        if cur < best:
            best = cur
    return best


def lap_stats(laps_ms: list[int], exclude_first: bool) -> DriverStats:
    """LiveRC's per-driver stats; some classes leave lap 1 out of every figure (FIELD-GUIDE §5.2)."""
    st = DriverStats()
    first_number = 2 if exclude_first else 1
    counted = laps_ms[1:] if exclude_first else laps_ms
    if not counted:
        return st
    n = len(counted)
    fast = min(counted)
    st.fast = secs3(fast)
    st.fast_lap_number = counted.index(fast) + first_number
    total = sum(counted)
    avg = total / n / 1000
    st.avg = f"{avg:.3f}"
    ordered = sorted(counted)
    for k, attr in ((5, "top5"), (10, "top10"), (15, "top15")):
        if n >= k:
            setattr(st, attr, f"{sum(ordered[:k]) / k / 1000:.3f}")
    two = _window_min(counted, 2)
    three = _window_min(counted, 3)
    if two is not None:
        st.top2 = secs3(two)
    if three is not None:
        st.top3 = secs3(three)
    mean_sq = sum(x * x for x in counted) / n
    var = max(mean_sq - (total / n) ** 2, 0.0)
    sd = math.sqrt(var) / 1000
    cons = 100.0 * (1.0 - sd / avg)
    st.sd3, st.sd2 = f"{sd:.3f}", f"{sd:.2f}"
    st.cons3, st.cons2 = f"{cons:.3f}", f"{cons:.2f}"
    return st


def _f(text: str) -> float | None:
    return float(text) if text else None


@dataclass
class SimDriver:
    driver: Driver
    grid: int
    dns: bool
    stopped: bool
    laps_ms: list[int]
    total_ms: int
    stats: DriverStats | None = None


def simulate_laps(
    rng: random.Random,
    grid: list[Driver],
    length_s: int,
    class_lap_ms: int,
    *,
    dns_chance: float,
    stop_chance: float,
) -> list[SimDriver]:
    """Each driver runs laps until the clock passes the race length (a timed race: the total
    ends a little over it, ``47/30:31.382`` for 30:00), or stops early, or never starts."""
    length_ms = length_s * 1000
    sims: list[SimDriver] = []
    rand = rng.random
    dns = [rand() < dns_chance for _ in grid]
    stops = [rand() < stop_chance for _ in grid]
    starters = [i for i, d in enumerate(dns) if not d]
    if starters and all(stops[i] for i in starters):
        stops[starters[0]] = False  # someone runs the full length, so "stopped early" means something
    for slot, drv in enumerate(grid, 1):
        if dns[slot - 1]:
            sims.append(SimDriver(drv, slot, True, False, [], 0))
            continue
        mean = class_lap_ms * drv.pace * (0.985 + 0.03 * rand())
        spread = mean * 0.05
        expected = length_ms / mean
        stop_at = 0
        if stops[slot - 1] and expected >= 8:
            stop_at = max(4, int(expected * (0.3 + 0.35 * rand())))
        laps: list[int] = []
        t = 0
        # lap 1 is slow: the start, and cars further back on the grid lose time in traffic
        lap = int(mean * 1.06 + slot * 180 + spread * rand())
        while True:
            laps.append(lap)
            t += lap
            if t >= length_ms or (stop_at and len(laps) >= stop_at):
                break
            lap = int(mean + spread * (rand() + rand() - 1.0))
            if rand() < 0.04:  # a crash or a flip waiting for a marshal
                lap += 3000 + int(9000 * rand())
        sims.append(SimDriver(drv, slot, False, bool(stop_at) and t < length_ms, laps, t))
    return sims


def build_results(
    sims: list[SimDriver], length_s: int, exclude_first: bool
) -> list[RaceResult]:
    """Order, gaps, running positions and stats exactly as a race page prints them."""
    length_ms = length_s * 1000
    starters = [s for s in sims if not s.dns]
    starters.sort(key=lambda s: (-len(s.laps_ms), s.total_ms))
    order = starters + [s for s in sims if s.dns]

    # running position at the end of each lap: drivers who completed that lap sooner are ahead
    cum: dict[int, list[int]] = {}
    max_laps = 0
    for s in starters:
        acc, c = 0, []
        for x in s.laps_ms:
            acc += x
            c.append(acc)
        cum[s.grid] = c
        max_laps = max(max_laps, len(c))
    positions: dict[int, list[int]] = {s.grid: [] for s in starters}
    for k in range(max_laps):
        at = sorted((c[k], g) for g, c in cum.items() if len(c) > k)
        for pos, (_, g) in enumerate(at, 1):
            positions[g].append(pos)

    results: list[RaceResult] = []
    prev: SimDriver | None = None
    for place, s in enumerate(order, 1):
        drv = s.driver
        behind_s: float | None = None
        behind_l: int | None = None
        if prev is not None:
            if s.dns and prev.dns:
                behind_s = 0.0  # "0.000" between two DNS rows
            elif len(prev.laps_ms) != len(s.laps_ms):
                behind_l = len(prev.laps_ms) - len(s.laps_ms)
            else:
                behind_s = (s.total_ms - prev.total_ms) / 1000
        if s.dns:
            s.stats = DriverStats()
            results.append(RaceResult(
                position=place, car_number=str(s.grid), driver_id=drv.driver_id,
                driver_name=drv.name, qual_position=s.grid, laps=0, total_time=None,
                behind_seconds=behind_s, behind_laps=behind_l, fastest_lap=None,
                fastest_lap_number=None, avg_lap=None, avg_top5=None, avg_top10=None,
                avg_top15=None, top3_consecutive=None, std_deviation=None, consistency=None,
                status=STATUS_DNS, grid_position=None, driver_id_source="racer_laps",
            ))
            prev = s
            continue
        st = lap_stats(s.laps_ms, exclude_first)
        s.stats = st
        pos_list = positions[s.grid]
        lap_list = []
        acc = 0
        for k, x in enumerate(s.laps_ms, 1):
            acc += x
            # LiveRC's pace: the laps/time this driver would reach at the current average
            n = length_ms * k // acc + 1
            pace_ms = (2 * n * acc + k) // (2 * k)
            lap_list.append(Lap(k, x / 1000, pos_list[k - 1], f"{n}/{mss(pace_ms)}"))
        results.append(RaceResult(
            position=place, car_number=str(s.grid), driver_id=drv.driver_id,
            driver_name=drv.name, qual_position=s.grid, laps=len(s.laps_ms),
            total_time=s.total_ms / 1000, behind_seconds=behind_s, behind_laps=behind_l,
            fastest_lap=_f(st.fast), fastest_lap_number=st.fast_lap_number, avg_lap=_f(st.avg),
            avg_top5=_f(st.top5), avg_top10=_f(st.top10), avg_top15=_f(st.top15),
            top3_consecutive=_f(st.top3), std_deviation=_f(st.sd2), consistency=_f(st.cons2),
            status=STATUS_STOPPED_EARLY if s.stopped else STATUS_FINISHED, grid_position=s.grid,
            driver_id_source="row", lap_list=lap_list, top2_consecutive=_f(st.top2),
            std_deviation_precise=_f(st.sd3), consistency_precise=_f(st.cons3),
        ))
        prev = s
    return results
