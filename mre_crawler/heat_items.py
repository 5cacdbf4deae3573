"""Typed items of the heat sheet, round ranking and overall final ranking pages (FIELD-GUIDE §11.3-§11.5).

Kept apart from :mod:`mre_crawler.items` so these page types can grow without touching the shared
module; :mod:`mre_crawler.items` conventions hold (seconds as float, empty is None, names as printed).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class LineupEntry:
    """One driver on a heat sheet grid; the first row is pole (FIELD-GUIDE §11.3)."""

    grid_position: int
    car_number: str | None
    driver_name: str
    transponder: str | None  # None where the sheet has no transponder column


@dataclass
class HeatSheetRace:
    """One race block of a heat sheet: header (race number, class, status, result link) and grid."""

    race_number: int | None
    race_label: str  # the span.class_header text: "1/8 Buggy (Heat 2/4)", "1/8 Buggy A1-Main"
    class_name: str | None  # the label without "(Heat k/n)" or " X-Main"; None when the label names no class
    heat_number: int | None
    heat_count: int | None
    status: str  # "Complete" | "Not Started" | as printed
    race_id: int | None  # from the "View Results" link; None when the race has not run
    entries: list[LineupEntry] = field(default_factory=list)


@dataclass
class HeatSheet:
    """A heat sheet page: /results/?p=view_heat_sheet&id=<n>, the line-ups of one round."""

    track_slug: str
    event_id: int | None  # carried by the crawler; the page does not show it
    heat_sheet_id: int | None
    round_name: str | None  # "Qualifier Round 2" | "Main Events"
    races: list[HeatSheetRace] = field(default_factory=list)


@dataclass
class RankingRow:
    """One driver of a round ranking class table (FIELD-GUIDE §11.4)."""

    class_name: str
    position: int
    driver_name: str
    laps: int | None
    total_time: float | None
    flag: str | None  # "DNS" when the Laps/Time cell says so
    top2_consecutive: float | None
    top3_consecutive: float | None
    avg_top5: float | None
    fastest_lap: float | None
    avg_lap: float | None
    heat_number: int | None
    heat_count: int | None
    race_id: int | None  # the Heat link: the race where the ranked time was set


@dataclass
class RoundRanking:
    """A round ranking page: /results/?p=view_round_ranking&id=<round>&o=<mode>."""

    track_slug: str
    event_id: int | None
    ranking_id: int | None
    mode: str | None  # the o= value as given (laps_time, top_3_consecutive, ...)
    round_name: str | None  # "Qualifier Round 2", from the page heading
    columns: list[str] = field(default_factory=list)  # metric headers in page order (Pos, Driver... left out)
    rows: list[RankingRow] = field(default_factory=list)


@dataclass
class OverallRow:
    """One driver of the overall final ranking: Pos runs across all mains of the class (§11.5)."""

    class_name: str
    position: int
    driver_name: str
    main_place: int | None  # the last "[n]": place within the main
    points: int | None  # the first of "[x] [y]" on multi-main classes; None on single mains
    laps: int | None
    total_time: float | None
    flag: str | None  # DNS | DNF where printed
    result_raw: str  # the Result cell as printed
    race_label: str | None  # the Race column: "A Main", "B-Main", "A-Final"
    race_id: int | None  # where the Race cell links the race


@dataclass
class OverallRanking:
    """The overall final ranking page: /results/?p=event_overall_ranking&id=<event_id>."""

    track_slug: str
    event_id: int | None
    rows: list[OverallRow] = field(default_factory=list)
