"""The mains formats big meetings publish on LiveRC, for ``SiteParams(formats="every")``.

On top of the classic ladders (samplesite.events ``_ladder``), each with the bump-ups as truth:

- ``bracket``: bracket finals from 1/16 (or 1/8, 1/4, the semis) down to the 1/1 Final. Every round
  below the final runs in two sibling halves, odd and even qualifiers (semis are named by letter,
  "Semi A (Even)"); the top finishers of a half start at the back of the same half of the next round,
  both semis feed the final. The label order varies by event, as national meetings print them:
  ``1/8 Nitro Buggy 1/8 Final Odd``, ``Buggy 1/8 Odd Final``, ``1/16 Even Final``, ``Odd 1/4 Final``,
  ``Semi A (Even)``, ``1/8 Nitro Buggy Semi B``, ``Buggy 1/1 Final``. Some events also run a
  practice named after a semi ("Semi A (Even) Practice") just before it.
- ``lcq_own``: an LCQ published under its own class ("Last Chance" / "Last Chance Qualifier",
  "LCQ" / "LCQ"), nothing in its name saying which class it feeds, then a placeholder race of
  another "class" (a lunch break or track maintenance slot: a race page with no results), then the
  class's A-Main, whose grid ends with the LCQ's top finishers.
- ``practice``: a lettered ladder with a practice session named after the top main ("A Main
  Practice", "A-Main Warm-Up") run between the B-Main and the A-Main by the A-Main's drivers.

Events mix electric and nitro classes.
"""

from __future__ import annotations

import random

from mre_crawler.samplesite.events import (
    ClassPlan,
    RaceSpec,
    _bump_drivers,
    _ladder,
    _plan_class,
    _run,
)
from mre_crawler.samplesite.places import JUNIOR, RACING_CLASSES, RacingClass
from mre_crawler.samplesite.racing import Driver

FORMAT_KINDS = ("bracket", "lcq_own", "practice")
EVERY = ("ladder", "triple", "lcq", "lone", "bracket", "lcq_own", "practice")
WEIGHTS = (0.12, 0.08, 0.08, 0.04, 0.34, 0.17, 0.17)

# (class label, race name) of an LCQ published under its own class
OWN_CLASS_LCQS = (("Last Chance", "Last Chance Qualifier"), ("LCQ", "LCQ"), ("Last Chance", "Last Chance"))
PLACEHOLDERS = (("Lunch Break", "Lunch Break A-Main"), ("Track Maintenance", "Track Maintenance Main"),
                ("Lunch", "A-Main"))
PRACTICE_NAMES = ("{top} Practice", "{top} Warm-Up", "Practice {top}")

Bumps = list[tuple[RaceSpec, RaceSpec, int, Driver, int]]


def _nitro(cls: RacingClass) -> bool:
    return "Nitro" in cls.name


def plan_classes(rng: random.Random, classes: list[RacingClass], pool: list[Driver],
                 drivers_per_class: tuple[int, int]) -> list[ClassPlan]:
    """Plans for one event; an event of two or more classes mixes electric and nitro ones."""
    racing = [c for c in classes if c is not JUNIOR]
    if len(racing) >= 2 and len({_nitro(c) for c in racing}) == 1:
        other = [c for c in RACING_CLASSES if _nitro(c) != _nitro(racing[0])]
        classes[classes.index(racing[-1])] = rng.choice(other)
    plans = []
    for cls in classes:
        if cls is JUNIOR:
            plans.append(_plan_class(rng, cls, pool, *drivers_per_class))
            continue
        fmt = rng.choices(EVERY, WEIGHTS)[0]
        if fmt == "bracket":
            plans.append(_plan_bracket(rng, cls, pool))
        elif fmt == "lcq_own":
            plan = _plan_class(rng, cls, pool, *drivers_per_class, fmt="lcq")
            plan.fmt = "lcq_own"
            plan.lcq_label, plan.lcq_race_name = rng.choice(OWN_CLASS_LCQS)
            plans.append(plan)
        elif fmt == "practice":
            lo, hi = drivers_per_class
            plan = _plan_class(rng, cls, pool, max(lo, 14), max(hi, 16), fmt="ladder")
            plan.fmt = "practice"
            plans.append(plan)
        else:
            plans.append(_plan_class(rng, cls, pool, *drivers_per_class, fmt=fmt))
    return plans


def _plan_bracket(rng: random.Random, cls: RacingClass, pool: list[Driver]) -> ClassPlan:
    size = rng.choice((10, 12))
    bump = rng.choice((2, 3))
    lowest = rng.choice((2, 4, 8, 16))  # the first round: semis, 1/4, 1/8 or 1/16 finals
    rounds_below_final = _bracket_sizes(lowest)[:-1]
    n = size - 2 * bump  # direct into the final
    n += 2 * (size - bump) * (len(rounds_below_final) - 1)  # direct into the middle rounds
    n += 2 * rng.randint(bump + 2, size)  # the two halves of the first round
    n = min(n, len(pool))
    plan = ClassPlan(cls, rng.sample(pool, n), "bracket", 1, bump, size, rng.random() < 0.5)
    plan.label_style = rng.randrange(4)
    plan.bracket_lowest = lowest
    return plan


def _bracket_sizes(lowest: int) -> list[int]:
    sizes = []
    k = lowest
    while k >= 1:
        sizes.append(k)
        k //= 2
    return sizes


def _short(cls: RacingClass) -> str:
    return cls.name.split()[-1]  # "Buggy", "Truggy", "Course": the prefix some meetings print


def _bracket_name(plan: ClassPlan, k: int, half: str | None, semi_letter: str | None) -> str:
    cls, style = plan.cls, plan.label_style
    if k == 1:
        return (f"{cls.name} 1/1 Final", f"{_short(cls)} 1/1 Final", "1/1 Final", f"{cls.name} Final")[style]
    if k == 2:
        return (f"Semi {semi_letter} ({half})", f"{cls.name} Semi {semi_letter}",
                f"{_short(cls)} Semi-Final {semi_letter}", f"{cls.name} 1/2 Final {half}")[style]
    return (f"{cls.name} 1/{k} Final {half}", f"{_short(cls)} 1/{k} {half} Final", f"1/{k} {half} Final",
            f"{half} 1/{k} Final")[style]


def _bracket(rng: random.Random, plan: ClassPlan, seeding: list[Driver]) -> tuple[list[RaceSpec], Bumps]:
    cls, size, bump = plan.cls, plan.main_size, plan.bump
    by_id = {d.driver_id: d for d in plan.drivers}
    sizes = _bracket_sizes(plan.bracket_lowest)  # lowest first ... 1
    # direct seeds: the best into the final, then each round's halves take the odd and even qualifiers
    final_direct = seeding[: size - 2 * bump]
    rest = seeding[size - 2 * bump:]
    direct: dict[int, dict[str, list[Driver]]] = {}
    for k in reversed(sizes[:-1]):  # 2, 4, 8 ... : the semis get the next best
        take = rest[: 2 * (size - bump)] if k != sizes[0] else rest
        rest = rest[len(take):]
        direct[k] = {"Odd": take[0::2], "Even": take[1::2]}
    letters = dict(zip(("Odd", "Even"), rng.choice((("A", "B"), ("B", "A")))))
    lengths = list(cls.main_seconds)
    run: list[RaceSpec] = []
    bumps: Bumps = []
    movers: dict[str, list[tuple[int, Driver]]] = {"Odd": [], "Even": []}
    sources: dict[str, RaceSpec | None] = {"Odd": None, "Even": None}
    for k in sizes[:-1]:
        length = lengths[min(len(lengths) - 1, max(0, len(sizes) - 1 - sizes.index(k)))]
        specs = {}
        for half in ("Odd", "Even"):
            grid = direct[k][half] + [d for _, d in movers[half]]
            spec = RaceSpec(cls, cls.name, _bracket_name(plan, k, half, letters[half]), "Main Events", 99,
                            "bracket", f"1/{k}", length, grid, plan.exclude_first)
            if sources[half] is not None:
                for j, (pos, d) in enumerate(movers[half]):
                    bumps.append((sources[half], spec, pos, d, len(direct[k][half]) + j + 1))
            specs[half] = spec
        if k == 2 and rng.random() < 0.4:
            # a practice named after a semi, run by its drivers just before it
            first = specs["Odd"]
            run.append(_run(rng, RaceSpec(cls, cls.name, f"{first.race_name} Practice", "Main Events", 99,
                                          "practice", None, 300, list(first.grid), plan.exclude_first)))
        for half in ("Odd", "Even"):
            _run(rng, specs[half])
            run.append(specs[half])
            movers[half] = _bump_drivers(specs[half].results, by_id, bump)
            sources[half] = specs[half]
    grid = final_direct + [d for _, d in movers["Odd"]] + [d for _, d in movers["Even"]]
    final = RaceSpec(cls, cls.name, _bracket_name(plan, 1, None, None), "Main Events", 99, "bracket", "1/1",
                     lengths[0], grid, plan.exclude_first)
    slot = len(final_direct)
    for half in ("Odd", "Even"):
        for pos, d in movers[half]:
            slot += 1
            bumps.append((sources[half], final, pos, d, slot))
    run.append(_run(rng, final))
    return run, bumps


def _lcq_own(rng: random.Random, plan: ClassPlan, seeding: list[Driver]) -> tuple[list[RaceSpec], Bumps]:
    run, bumps = _ladder(rng, plan, seeding)  # plan.fmt "lcq_own" runs as an LCQ into the A-Main
    label, name = rng.choice(PLACEHOLDERS)
    placeholder = RaceSpec(plan.cls, label, name, "Main Events", 99, "placeholder", None, 1800, [],
                           plan.exclude_first)
    run.insert(run.index(next(s for s in run if s.kind == "lcq")) + 1, placeholder)
    return run, bumps


def _practice(rng: random.Random, plan: ClassPlan, seeding: list[Driver]) -> tuple[list[RaceSpec], Bumps]:
    run, bumps = _ladder(rng, plan, seeding)
    top = next(s for s in run if s.tier == "A")
    if top is run[0]:
        return run, bumps
    printed = rng.choice(("A Main", "A-Main"))
    name = f"{plan.cls.name} " + rng.choice(PRACTICE_NAMES).format(top=printed)
    practice = _run(rng, RaceSpec(plan.cls, plan.cls.name, name, "Main Events", 99, "practice", None, 300,
                                  list(top.grid), plan.exclude_first))
    run.insert(run.index(top), practice)
    return run, bumps


def mains(rng: random.Random, plan: ClassPlan, seeding: list[Driver]) -> tuple[list[RaceSpec], Bumps]:
    """Mains in run order (lowest first) and the bump-ups (source, target, position, driver, grid slot)."""
    if plan.fmt == "bracket":
        return _bracket(rng, plan, seeding)
    if plan.fmt == "lcq_own":
        return _lcq_own(rng, plan, seeding)
    return _practice(rng, plan, seeding)
