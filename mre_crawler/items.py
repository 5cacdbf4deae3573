"""Typed items: one dataclass per thing a LiveRC page says.

Every item is a plain dataclass, so itemadapter reads it and ``dataclasses.asdict`` turns it into
JSON-ready data (see :func:`mre_crawler.jsonout.item_to_json`). Page-level items aggregate their
rows (a :class:`Race` carries its :class:`RaceResult` rows, each carrying its :class:`Lap` list) so a
page is validated and stored as one unit, which is what makes re-crawls idempotent.

Conventions:
- Times are the track's local wall-clock values (``datetime`` without tzinfo): LiveRC never
  publishes a zone. The pipelines attach the track's IANA zone and UTC instant.
- Durations and lap times are seconds as ``float``.
- A value LiveRC left empty is ``None``; a value that could not be read is ``None`` *and* a
  :class:`mre_crawler.errors.ParseProblem` on the parse result (never a silent default).
- Names are kept as LiveRC printed them; normalization happens in the pipelines.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field


# ---------------------------------------------------------------------------------------------
# Track catalogue and dashboard
# ---------------------------------------------------------------------------------------------
@dataclass
class TrackListing:
    """One row of the track catalogue at https://live.liverc.com/."""

    slug: str  # folded to lower case; LiveRC has mixed-case slugs (FastandFunToyandHobby)
    slug_raw: str  # as written in the link
    name: str
    latest_event_name: str | None = None
    last_activity: str | None = None  # relative words only ("3 weeks ago"): not a timestamp
    status: list[str] = field(default_factory=list)  # e.g. ["live_video", "racing", "featured"]
    row_url: str | None = None


@dataclass
class Track:
    """A track's dashboard at https://<slug>.liverc.com/."""

    slug: str
    name: str
    address_name: str | None = None
    address_lines: list[str] = field(default_factory=list)  # street, "City Postcode", country
    city: str | None = None
    region: str | None = None  # state/province code when printed ("NC")
    postcode: str | None = None
    country: str | None = None  # as printed ("Australia")
    country_code: str | None = None  # ISO alpha-2 from the map iframe ("AU")
    phone: str | None = None
    website: str | None = None
    email: str | None = None
    facebook: str | None = None
    live_status: str | None = None  # "Track is Offline", "LIVE (Racing)"
    results_this_month: int | None = None
    sessions_this_month: int | None = None
    lifetime_laps: int | None = None
    lifetime_practice_sessions: int | None = None
    lifetime_races: int | None = None
    lifetime_entries: int | None = None
    lifetime_events: int | None = None


# ---------------------------------------------------------------------------------------------
# Events
# ---------------------------------------------------------------------------------------------
@dataclass
class EventSummary:
    """One row of a track's events list at /events/."""

    track_slug: str
    event_id: int
    name: str
    start_local: dt.datetime | None  # from the hidden sort key
    start_has_time: bool  # False when the stamp is 00:00:00 (LiveRC's "no time")
    event_date: dt.date | None  # the visible date
    entries: int | None = None
    drivers: int | None = None
    # Multi-day events print a range in the Date cell ("May 3, 2025 to May 4, 2025",
    # track-events-canberraoffroad.html); event_date is its first day, this its last.
    event_date_end: dt.date | None = None


@dataclass
class EventRace:
    """One race row of an event page's "Race Results" table."""

    race_id: int
    round_name: str  # the section header: "Main Events", "Qualifier Round 3"
    race_number: int | None
    class_name: str  # "1/8 Nitro Buggy"
    race_name: str  # whitespace-normalized: "1/8 Nitro Buggy A-Main", "1/8 Electric Buggy (Heat 1/3)"
    race_label_raw: str  # the link text as printed
    completed_local: dt.datetime | None
    heat_number: int | None = None  # from "(Heat k/n)"
    heat_count: int | None = None
    schedule_index: int = 0  # 0 = first race run (the page lists newest first; this is reversed)


@dataclass
class EventLink:
    """A link from an event page to another results page."""

    kind: str  # entry_list | heat_sheet | overall_ranking | points | round_ranking | multi_main
    target_id: int
    label: str
    url: str  # absolute LiveRC URL


@dataclass
class Event:
    """An event page: /results/?p=view_event&id=<event_id>."""

    track_slug: str
    event_id: int | None  # None only when `mre parse` reads a page without its URL
    name: str
    track_name: str | None
    date_start: dt.date | None
    date_end: dt.date | None
    races: list[EventRace] = field(default_factory=list)
    links: list[EventLink] = field(default_factory=list)
    race_track: str | None = None  # "Offroad" (Event Stats panel)
    entries: int | None = None
    drivers: int | None = None
    total_race_laps: int | None = None


# ---------------------------------------------------------------------------------------------
# Race results
# ---------------------------------------------------------------------------------------------
STATUS_FINISHED = "finished"
STATUS_DNS = "did_not_start"
STATUS_STOPPED_EARLY = "stopped_early"


@dataclass(slots=True)  # hundreds per race page: slots make them smaller and quicker to build
class Lap:
    """One lap from a race page's racerLaps data (lap 0, the grid entry, is not a Lap)."""

    lap_number: int
    lap_time: float | None  # seconds
    position: int | None  # running position at the end of this lap
    pace_raw: str | None = None  # LiveRC's projected "laps/time"; not the result


@dataclass
class RaceResult:
    """One row of a race result table, with the driver's laps."""

    position: int
    car_number: str | None
    driver_id: int | None  # recovered from racerLaps order for DNS rows
    driver_name: str
    qual_position: int | None
    laps: int | None
    total_time: float | None  # seconds from the start signal
    behind_seconds: float | None  # gap to the car directly ahead
    behind_laps: int | None
    fastest_lap: float | None
    fastest_lap_number: int | None
    avg_lap: float | None
    avg_top5: float | None
    avg_top10: float | None
    avg_top15: float | None
    top3_consecutive: float | None
    std_deviation: float | None
    consistency: float | None  # percent
    status: str  # STATUS_FINISHED | STATUS_DNS | STATUS_STOPPED_EARLY
    grid_position: int | None = None  # from the lap-0 grid entry in racerLaps
    driver_id_source: str = "row"  # "row" (data-driver-id) or "racer_laps" (recovered by order)
    lap_list: list[Lap] = field(default_factory=list)
    # The unrounded figures of the racerLaps block (LiveRC's own, as published).
    top2_consecutive: float | None = None
    std_deviation_precise: float | None = None
    consistency_precise: float | None = None


@dataclass
class Race:
    """A race result page: /results/?p=view_race_result&id=<race_id>."""

    track_slug: str
    event_id: int | None  # carried by the crawler; the page does not show it
    race_id: int | None  # None only when `mre parse` reads a page without its URL
    race_number: int | None
    race_name: str  # "1/8 Nitro Buggy A-Main"
    round_name: str | None  # "Main Events"
    length_seconds: int | None
    length_kind: str | None  # "Timed"
    caption_tag: str | None  # "M1 Race #14"
    results: list[RaceResult] = field(default_factory=list)


# ---------------------------------------------------------------------------------------------
# Entry lists and points
# ---------------------------------------------------------------------------------------------
@dataclass
class Entry:
    """One row of an entry list."""

    class_name: str
    row_number: int
    display_name: str  # "RICHARD BRATTON"
    sort_name: str | None  # "BRATTON, RICHARD"
    transponder: str | None  # kept as text: "2222363/2" exists


@dataclass
class EntryList:
    """An entry list page: /results/?p=view_entry_list&id=<event_id>."""

    track_slug: str
    event_id: int | None
    classes: dict[str, int] = field(default_factory=dict)  # class name -> printed "Entries: N"
    entries: list[Entry] = field(default_factory=list)
    total_entries: int | None = None
    total_drivers: int | None = None


@dataclass
class PointsRound:
    """One round cell of a points row: "47 : 5/3:52.857 (DNF)"."""

    round_number: int
    points: int | None
    laps: int | None
    total_time: float | None
    flag: str | None  # "DNS" | "DNF" | None
    counted: bool  # printed in bold: the round that counts


@dataclass
class PointsRow:
    class_name: str
    position: int
    driver_name: str
    result_points: int | None
    tie_breaker_raw: str | None
    rounds: list[PointsRound] = field(default_factory=list)


@dataclass
class PointsTable:
    """A points page: /results/?p=view_points&id=<points_id>."""

    track_slug: str
    event_id: int | None
    points_id: int | None
    caption: str | None  # "Qual Points (best 1 of 2)"
    tie_breaker_rule: str | None
    rows: list[PointsRow] = field(default_factory=list)


# ---------------------------------------------------------------------------------------------
# Multi-main results (FIELD-GUIDE §11.2): the overall of a double/triple A-, B-, C-main
# ---------------------------------------------------------------------------------------------
@dataclass
class MultiMainLeg:
    """One leg cell: ``1st (1pts) : 16/10:01.133``; ``8th (8pts) : 0/0.000`` (sat out); blank."""

    leg_number: int  # 1.. in column order
    leg_label: str  # "A1", "B2"
    place: int | None  # None: blank cell
    leg_points: int | None
    laps: int | None
    total_time: float | None
    flag: str | None  # "DNS" | "DNF" | None
    sat_out: bool  # blank, 0/0.000 or DNS: the driver did not run this leg


@dataclass
class MultiMainRow:
    position: int
    seeded_position: int | None
    driver_name: str
    points: int | None
    legs: list[MultiMainLeg] = field(default_factory=list)


@dataclass
class MultiMainResult:
    """A multi-main page: /results/?p=view_multi_main_result&id=<multi_main_id>."""

    track_slug: str
    event_id: int | None
    multi_main_id: int | None
    class_name: str
    main_letter: str  # "A", "B" ...
    main_format: str | None  # "Triple", "Double" as printed
    leg_labels: list[str]
    tie_breaker_rule: str | None  # "IFMAR", "ROAR" as printed
    completed_legs: int | None  # "Completed: X of Y"
    scheduled_legs: int | None
    rows: list[MultiMainRow] = field(default_factory=list)


# ---------------------------------------------------------------------------------------------
# Practice
# ---------------------------------------------------------------------------------------------
@dataclass
class PracticeDayRef:
    date: dt.date
    session_count: int | None
    url: str


@dataclass
class PracticeMonth:
    """The practice month view: /practice/?p=calendar&d=YYYY-MM."""

    track_slug: str
    month: str  # "YYYY-MM", from the page's caption
    available_months: list[str] = field(default_factory=list)
    days: list[PracticeDayRef] = field(default_factory=list)


@dataclass
class PracticeSessionSummary:
    """One row of a practice day overview."""

    session_id: int
    driver_name: str  # mixed case as printed; "Unknown Driver" kept
    class_name: str  # "Unknown Class" kept
    transponder: str | None
    start_local: dt.datetime | None
    laps: int | None
    length_seconds: int | None  # sum of lap times, rounded by LiveRC
    fastest_lap: float | None
    avg_lap: float | None


@dataclass
class PracticeStats:
    """The day overview's own "Practice Stats" panel, as published."""

    total_laps: int | None
    total_track_time_seconds: int | None
    unique_drivers: int | None
    unique_classes: int | None
    first_session_local: dt.time | None
    last_session_local: dt.time | None
    laps_per_class: dict[str, int] = field(default_factory=dict)


@dataclass
class PracticeLeader:
    scope: str  # "Overall Fastest" or a class name
    lap_time: float | None
    driver_name: str | None
    class_name: str | None
    session_id: int | None


@dataclass
class PracticeDay:
    """A practice day overview: /practice/?p=session_list&d=YYYY-MM-DD."""

    track_slug: str
    date: dt.date
    sessions: list[PracticeSessionSummary] = field(default_factory=list)
    stats: PracticeStats | None = None
    leaderboard: list[PracticeLeader] = field(default_factory=list)


@dataclass
class PracticeLap:
    lap_number: int
    lap_time: float | None
    end_local: dt.datetime | None  # wall-clock moment the lap ended
    is_valid: bool


@dataclass
class PracticeSession:
    """A practice session page: /practice/?p=view_session&id=<session_id>."""

    track_slug: str
    session_id: int | None  # carried by the crawler; the page does not show it
    driver_name: str
    class_name: str
    transponder: str | None
    date: dt.date | None
    start_local: dt.datetime | None
    end_local: dt.datetime | None  # may fall on the next day for a session crossing midnight
    length_seconds: float | None
    lap_count: int | None
    fastest_lap: float | None
    top3_consecutive: float | None
    avg_lap: float | None
    avg_top5: float | None
    avg_top10: float | None
    avg_top15: float | None
    std_deviation: float | None
    consistency: float | None
    valid_lap_min: float | None
    valid_lap_max: float | None
    laps: list[PracticeLap] = field(default_factory=list)


ALL_ITEM_TYPES = (
    TrackListing,
    Track,
    EventSummary,
    Event,
    Race,
    EntryList,
    PointsTable,
    MultiMainResult,
    PracticeMonth,
    PracticeDay,
    PracticeSession,
)


# ---------------------------------------------------------------------------------------------
# The envelope spiders yield: the page-level item plus where and when it was read
# ---------------------------------------------------------------------------------------------
@dataclass
class Rejected:
    """A part of a page the validate pipeline keeps out of the tables (it goes to quarantine)."""

    item_key: str  # "driver:346997", "positions", "" (the whole item)
    reason: str
    raw: dict | None = None  # the row's fields as read


@dataclass
class PageItem:
    """What spiders yield: one parsed page's item with the page URL (the real LiveRC URL, also
    under ``--site``), its page type and fetch time. The pipelines (normalize -> validate ->
    store) read the envelope so quarantine and bookkeeping know which page a row came from."""

    url: str
    page_type: str
    fetched_at: dt.datetime
    item: object  # Track | list[EventSummary] | Event | Race | EntryList | PointsTable | TrackListing(s) ...
    body_sha256: str | None = None
    body: bytes | None = None  # optional: kept in quarantine when part of the page is rejected
    rejected: list[Rejected] = field(default_factory=list)  # filled by the validate pipeline
    parser_version: int | None = None  # the parser version that read it (mre_crawler.parsers.PARSER_VERSIONS)
    items_digest: str | None = None  # what it parsed, hashed (set by mre reprocess: unchanged items write nothing)
