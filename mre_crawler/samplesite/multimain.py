"""Multi-main result pages (FIELD-GUIDE §11.2) with their truth: standings scored by a chosen rule.

No saved copy of this page type exists, so the layout follows §11.2: ``table.multi_main``, a
``thead`` title row with ``span.class_header`` ("<Class> Triple A-Main Results") and
``div.class_sub_header`` ("Tie Breaker: IFMAR" / "Completed: 3 of 3"), then the header row
``Pos | Seeded | Driver | Points | A1 | A2 | A3`` and leg cells ``1st (1pts) : 16/10:01.133``.

Scoring (§11.6), the generator's truth and what ``mart_multi_main_standings`` recomputes:

- leg points = place in the leg (lower is better); a sat-out leg keeps the place the race gave it.
- counted legs by how many legs the *class* completed (reduced finals, not per driver):
  3 or more -> best 2; 2 -> best 1 (the other breaks ties); 1 -> that leg; 0 -> seeded order.
- a driver's legs in order (points, more laps, less time, leg number); ``first`` / ``second`` are
  the first two of them.
- IFMAR: points, first's place, first's laps (more) and time (less), second's place, laps, time, seeded.
- ROAR: points, first's place, then the faster counted run (most laps in the least time), seeded.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, replace

from mre_crawler.items import STATUS_DNS, STATUS_STOPPED_EARLY, MultiMainLeg, MultiMainResult, MultiMainRow, RaceResult
from mre_crawler.samplesite.racing import mss

RULES = ("IFMAR", "ROAR")


def counted_legs(completed: int) -> int:
    return 2 if completed >= 3 else (1 if completed >= 1 else 0)


def _time(leg: MultiMainLeg) -> float:
    return leg.total_time if leg.laps and leg.total_time is not None else math.inf


def _leg_order(leg: MultiMainLeg) -> tuple:
    return (leg.leg_points if leg.leg_points is not None else math.inf, -(leg.laps or 0), _time(leg), leg.leg_number)


def standing_key(row: MultiMainRow, completed: int, rule: str) -> tuple:
    """The sort key of one driver's standing (lower is better); ``row.points`` must be scored."""
    seeded = row.seeded_position if row.seeded_position is not None else math.inf
    legs = sorted((g for g in row.legs if g.leg_number <= completed and g.place is not None), key=_leg_order)
    if completed == 0 or not legs:
        return (math.inf, seeded)
    first = legs[0]
    key: list = [row.points, first.leg_points, -(first.laps or 0), _time(first)]
    if rule == "ROAR":
        counted = legs[: counted_legs(completed)]
        fastest = min(counted, key=lambda g: (-(g.laps or 0), _time(g)))
        return (row.points, first.leg_points, -(fastest.laps or 0), _time(fastest), seeded)
    if len(legs) > 1:
        second = legs[1]
        key += [second.leg_points, -(second.laps or 0), _time(second)]
    else:
        key += [math.inf, 0, math.inf]
    return (*key, seeded)


def score(rows: Sequence[MultiMainRow], completed: int, rule: str) -> list[MultiMainRow]:
    """Points and positions by ``rule``: new rows, best first."""
    scored = []
    for row in rows:
        legs = sorted((g for g in row.legs if g.leg_number <= completed and g.place is not None), key=_leg_order)
        counted = legs[: counted_legs(completed)]
        points = sum(g.leg_points or 0 for g in counted) if counted else None
        scored.append(replace(row, points=points))
    scored.sort(key=lambda r: standing_key(r, completed, rule))
    return [replace(r, position=i) for i, r in enumerate(scored, 1)]


def leg_from_result(number: int, label: str, res: RaceResult) -> MultiMainLeg:
    sat_out = res.status == STATUS_DNS or not res.laps
    flag = "DNF" if res.status == STATUS_STOPPED_EARLY and not sat_out else None
    return MultiMainLeg(number, label, res.position, res.position, res.laps or 0,
                        0.0 if sat_out else res.total_time, flag, sat_out)


@dataclass(frozen=True)
class PageStyle:
    """The layout variants §11 lists; any of them must parse to the same item."""

    pos_header: str = "Pos"  # or "Position"
    one_line_sub_header: bool = False  # "Tie Breaker: IFMAR Completed: 3 of 3" (the §11.2 trap)
    hidden_keys: bool = False  # <div class="hidden">sort key</div> before visible values
    blank_seeded: bool = False  # the Seeded cells left empty

    @classmethod
    def pick(cls, rng: random.Random) -> PageStyle:
        return cls(rng.choice(("Pos", "Position")), rng.random() < 0.3, rng.random() < 0.5, rng.random() < 0.15)


def build_result(
    *, slug: str, event_id: int, multi_main_id: int, class_name: str, letter: str, fmt: str,
    legs: Sequence[Sequence[RaceResult]], scheduled: int, seeding: Sequence[int], rule: str,
    blank_seeded: bool = False,
) -> MultiMainResult:
    """The page's item from the legs that ran (``legs[i]`` = leg i+1's results; ``seeding``: driver
    ids in seeded order). Legs not run (reduced finals) are blank columns."""
    completed = len(legs)
    labels = [f"{letter}{i}" for i in range(1, scheduled + 1)]
    seeded = {d: i for i, d in enumerate(seeding, 1)}
    names: dict[int, str] = {}
    per_driver: dict[int, list[MultiMainLeg]] = {}
    for i, results in enumerate(legs, 1):
        for res in results:
            names.setdefault(res.driver_id, res.driver_name)
            per_driver.setdefault(res.driver_id, []).append(leg_from_result(i, labels[i - 1], res))
    rows = []
    for d, name in names.items():
        got = {g.leg_number: g for g in per_driver[d]}
        row_legs = [got.get(i) or MultiMainLeg(i, labels[i - 1], None, None, None, None, None, True)
                    for i in range(1, scheduled + 1)]
        rows.append(MultiMainRow(0, None if blank_seeded else seeded.get(d), name, None, row_legs))
    if blank_seeded:
        # with no seeded column the page's own order cannot fall back on it: seed by id instead, kept hidden
        rows = score([replace(r, seeded_position=seeded.get(d)) for r, d in zip(rows, names)], completed, rule)
        rows = [replace(r, seeded_position=None) for r in rows]
    else:
        rows = score(rows, completed, rule)
    return MultiMainResult(slug, event_id, multi_main_id, class_name, letter, fmt, labels, rule, completed,
                           scheduled, rows)


# --- rendering -----------------------------------------------------------------------------------
def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def leg_cell_text(leg: MultiMainLeg) -> str:
    if leg.place is None:
        return ""
    if leg.sat_out:
        lt = "0/0.000"
    else:
        lt = f"{leg.laps}/{mss(round((leg.total_time or 0) * 1000))}"
    flag = f" ({leg.flag})" if leg.flag else ""
    return f"{_ordinal(leg.place)} ({leg.leg_points}pts) : {lt}{flag}"


def title(x: MultiMainResult) -> str:
    return f"{x.class_name} {x.main_format + ' ' if x.main_format else ''}{x.main_letter}-Main Results"


def render_multi_main(x: MultiMainResult, *, track_name: str, event_name: str, date_text: str,
                      style: PageStyle = PageStyle()) -> str:
    from mre_crawler.samplesite.render import breadcrumb, h, page

    def hid(key: object) -> str:
        return f'<div class="hidden">{h(key)}</div>' if style.hidden_keys else ""

    n = 4 + len(x.leg_labels)
    rule = f"Tie Breaker: {x.tie_breaker_rule}" if x.tie_breaker_rule else ""
    done = f"Completed: {x.completed_legs} of {x.scheduled_legs}" if x.completed_legs is not None else ""
    sub = f"{rule} {done}".strip() if style.one_line_sub_header else "<br/>".join(t for t in (rule, done) if t)
    header = "".join(f"<th>{h(t)}</th>" for t in (style.pos_header, "Seeded", "Driver", "Points", *x.leg_labels))
    rows = []
    for r in x.rows:
        legs = "".join(
            f"<td>{hid(f'{g.leg_points:04d}' if g.leg_points is not None else '9999')}{h(leg_cell_text(g))}</td>"
            for g in r.legs)
        rows.append(
            f"<tr><td>{r.position}</td><td>{'' if r.seeded_position is None else r.seeded_position}</td>"
            f"<td>{h(r.driver_name)}</td><td>{hid(f'{r.points or 0:04d}')}{'' if r.points is None else r.points}</td>"
            f"{legs}</tr>")
    body = (
        breadcrumb(track_name, event_name, "trophy", date_text)
        + '<div class="row"><div class="col-lg-12"><div class="panel panel-default"><div class="panel-body">\n'
        + '<table class="table table-striped multi_main">\n<thead>\n'
        + f'<tr><th colspan="{n}"><div class="race_info"><span class="class_header">{h(title(x))}</span>'
        + f'<div class="class_sub_header">{sub}</div></div></th></tr>\n'
        + f"<tr>{header}</tr>\n</thead>\n<tbody>\n" + "\n".join(rows) + "\n</tbody>\n"
        + f"<tfoot><tr>{header}</tr></tfoot>\n</table>\n</div></div></div></div>"
    )
    return page([track_name, event_name, title(x)], body)


def event_multi_main_pages(build, info, file_name):
    """The multi-main pages of one generated event: one per triple A-main, at the id its link names.

    Rule and layout come from their own random stream, so adding these pages leaves every other
    page of the site as it was."""
    from mre_crawler import urls
    from mre_crawler.samplesite.site import SitePage

    slug, ev = info.slug, build.event
    links = {l.label: l for l in ev.links if l.kind == "multi_main"}
    for k, plan in enumerate(build.plans):
        if plan.fmt != "triple":
            continue
        link = links.get(f"{plan.cls.name} Triple A-Main Results")
        if link is None:
            continue
        legs = sorted((s for s in build.races if s.kind == "triple_main_leg" and s.cls is plan.cls),
                      key=lambda s: s.leg)
        rng = random.Random(f"multimain:{ev.event_id}:{k}")
        rule = rng.choices(RULES, (0.7, 0.3))[0]
        style = PageStyle.pick(rng)
        x = build_result(slug=slug, event_id=ev.event_id, multi_main_id=link.target_id, class_name=plan.cls.name,
                         letter="A", fmt="Triple", legs=[s.results for s in legs], scheduled=3,
                         seeding=[d.driver_id for d in legs[0].grid], rule=rule, blank_seeded=style.blank_seeded)
        yield SitePage(urls.multi_main_url(slug, link.target_id), "multi_main",
                       file_name(slug, f"multi-main-{link.target_id}"),
                       {"track_slug": slug, "event_id": ev.event_id, "multi_main_id": link.target_id}, [x],
                       lambda x=x, style=style: render_multi_main(x, track_name=info.name, event_name=ev.name,
                                                                  date_text=build.date_text, style=style))


def _result(position: int, driver_id: int, name: str, laps: int, total: float | None, status: str) -> RaceResult:
    return RaceResult(position=position, car_number=None, driver_id=driver_id, driver_name=name, qual_position=None,
                      laps=laps, total_time=total, behind_seconds=None, behind_laps=None, fastest_lap=None,
                      fastest_lap_number=None, avg_lap=None, avg_top5=None, avg_top10=None, avg_top15=None,
                      top3_consecutive=None, std_deviation=None, consistency=None, status=status)


def scripted_multi_main(seed: int, *, letter: str = "A", scheduled: int = 3, completed: int | None = None,
                        rule: str | None = None, slug: str = "sampletrack", event_id: int = 1000,
                        multi_main_id: int = 900_001) -> MultiMainResult:
    """A multi-main of random legs built to hit the scoring rules' corners: reduced finals
    (``completed`` < ``scheduled``), drivers who sat a leg out (the A1+A2 winner sits out A3),
    DNFs, laps ties and whole ties down to the seeded order."""
    from mre_crawler.items import STATUS_FINISHED

    rng = random.Random(f"scripted-multi-main:{seed}")
    rule = rule or rng.choice(RULES)
    completed = scheduled if completed is None else completed
    n = rng.randint(4, 12)
    drivers = [(5000 + i, f"DRIVER {chr(65 + i)} {seed}") for i in range(n)]
    pace = {d: rng.uniform(0, 1) for d, _ in drivers}
    legs: list[list[RaceResult]] = []
    wins: dict[int, int] = {}
    for leg in range(1, completed + 1):
        runs = []
        for d, name in drivers:
            clinched = leg == 3 and wins.get(d) == 2 and rng.random() < 0.8
            if clinched or rng.random() < 0.08:
                runs.append((d, name, 0, None, STATUS_DNS))
                continue
            laps = rng.choice((19, 20, 20, 20, 21))
            total = round(600 + rng.uniform(0, 30) * pace[d] + rng.uniform(0, 4), 3)
            status = STATUS_FINISHED
            if rng.random() < 0.06:
                laps, total, status = rng.randint(1, 10), round(rng.uniform(60, 300), 3), STATUS_STOPPED_EARLY
            runs.append((d, name, laps, total, status))
        if len(runs) > 3 and rng.random() < 0.3:  # a dead heat: same laps, same time
            i, j = rng.sample(range(len(runs)), 2)
            if runs[i][2] and runs[j][2]:
                runs[j] = (*runs[j][:2], runs[i][2], runs[i][3], runs[j][4])
        runs.sort(key=lambda r: (r[4] == STATUS_DNS, -r[2], r[3] if r[3] is not None else math.inf, r[0]))
        results = [_result(p, d, name, laps, total, status) for p, (d, name, laps, total, status) in enumerate(runs, 1)]
        legs.append(results)
        wins[results[0].driver_id] = wins.get(results[0].driver_id, 0) + 1
    seeding = [d for d, _ in drivers]
    rng.shuffle(seeding)
    if completed == 0:
        legs_for_names = [[_result(i, d, name, 0, None, STATUS_DNS) for i, (d, name) in enumerate(drivers, 1)]]
        x = build_result(slug=slug, event_id=event_id, multi_main_id=multi_main_id, class_name=f"Class {seed}",
                         letter=letter, fmt=None, legs=legs_for_names, scheduled=scheduled, seeding=seeding, rule=rule)
        for row in x.rows:
            row.legs = [MultiMainLeg(i, f"{letter}{i}", None, None, None, None, None, True)
                        for i in range(1, scheduled + 1)]
        x.completed_legs = 0
        x.rows = score(x.rows, 0, rule)
        return x
    fmt = {2: "Double", 3: "Triple"}.get(scheduled)
    return build_result(slug=slug, event_id=event_id, multi_main_id=multi_main_id, class_name=f"Class {seed}",
                        letter=letter, fmt=fmt, legs=legs, scheduled=scheduled, seeding=seeding, rule=rule)
