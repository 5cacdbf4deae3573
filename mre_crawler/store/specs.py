"""Table specs: each page type's natural key, columns and merge policy per table, and the flush order."""

from __future__ import annotations

from dataclasses import dataclass

from psycopg import sql

from mre_crawler.timezones import SOURCE_OVERRIDE

SCHEMA = "mre"


@dataclass(frozen=True)
class Upsert:
    """How one page type writes one table.

    ``cols``: the new value wins unless it is NULL. ``fill``: written only where the stored value
    is NULL (another page is authoritative). ``guarded``: column -> SQL expression for the new
    value (static text; ``t`` is the stored row, ``EXCLUDED`` the new one). ``restores``: this
    page is authoritative for the row's presence, so it clears ``removed_at``.
    """

    name: str  # a label for counts ("races<-event")
    table: str
    key: tuple[str, ...]
    cols: tuple[str, ...] = ()
    fill: tuple[str, ...] = ()
    guarded: tuple[tuple[str, str], ...] = ()
    restores: bool = False

    @property
    def columns(self) -> tuple[str, ...]:
        return self.key + self.cols + self.fill + tuple(c for c, _ in self.guarded)


TRACK_STUB = Upsert("tracks<-stub", "tracks", ("slug",))
TRACKS_FROM_LISTING = Upsert(
    "tracks<-catalogue",
    "tracks",
    ("slug",),
    cols=("slug_raw", "latest_event_name", "last_activity", "catalogue_status", "catalogue_row_url"),
    fill=("name",),
)
TRACKS_FROM_DASHBOARD = Upsert(
    "tracks<-dashboard",
    "tracks",
    ("slug",),
    cols=(
        "name", "address_name", "address_lines", "city", "region", "postcode", "country", "country_code",
        "phone", "website", "email", "facebook", "live_status", "results_this_month", "sessions_this_month",
        "lifetime_laps", "lifetime_practice_sessions", "lifetime_races", "lifetime_entries", "lifetime_events",
    ),
    # A zone set by a person (override) is never replaced by a crawl.
    guarded=tuple(
        (c, f"CASE WHEN t.time_zone_source = '{SOURCE_OVERRIDE}' THEN t.{c} ELSE COALESCE(EXCLUDED.{c}, t.{c}) END")
        for c in ("time_zone", "time_zone_source", "time_zone_note")
    ),
)
EVENT_STUB = Upsert("events<-stub", "events", ("source_event_id",), cols=("source", "event_id", "track_slug"))
EVENTS_FROM_LIST = Upsert(
    "events<-list",
    "events",
    ("source_event_id",),
    cols=("source", "event_id", "track_slug", "listed_start_local", "listed_start_has_time", "listed_date",
          "listed_entries", "listed_drivers"),
    fill=("name",),
)
EVENTS_FROM_PAGE = Upsert(
    "events<-event",
    "events",
    ("source_event_id",),
    cols=("source", "event_id", "track_slug", "name", "track_name", "date_start", "date_end", "race_track",
          "entries", "drivers", "total_race_laps"),
    restores=True,
)
RACES_FROM_EVENT = Upsert(
    "races<-event",
    "races",
    ("race_id",),
    cols=("event_id", "track_slug", "round_name", "race_number", "class_name", "class_key", "race_name",
          "race_label_raw", "heat_number", "heat_count", "completed_local", "time_zone", "completed_utc",
          "time_flag", "schedule_index"),
    restores=True,
)
RACES_FROM_PAGE = Upsert(
    "races<-race",
    "races",
    ("race_id",),
    cols=("track_slug", "length_seconds", "length_kind", "caption_tag"),
    fill=("event_id", "race_number", "race_name", "round_name"),
)
DRIVERS = Upsert("drivers", "drivers", ("driver_id",), cols=("display_name", "normalized_name", "printed_name"))
RESULT_COLS = (
    "position", "car_number", "driver_name", "qual_position", "grid_position", "laps", "total_time",
    "behind_seconds", "behind_laps", "fastest_lap", "fastest_lap_number", "avg_lap", "avg_top5", "avg_top10",
    "avg_top15", "top2_consecutive", "top3_consecutive", "std_deviation", "consistency",
    "std_deviation_precise", "consistency_precise", "status", "driver_id_source",
)
RESULTS = Upsert("race_results", "race_results", ("race_id", "driver_id"), cols=RESULT_COLS, restores=True)
LAPS = Upsert("laps", "laps", ("race_id", "driver_id", "lap_number"), cols=("lap_time", "position", "pace_raw"),
              restores=True)
ENTRY_LISTS = Upsert("entry_lists", "entry_lists", ("event_id",), cols=("total_entries", "total_drivers"))
ENTRY_CLASSES = Upsert("entry_list_classes", "entry_list_classes", ("event_id", "class_name"),
                       cols=("class_key", "printed_entries"), restores=True)
ENTRIES = Upsert("entries", "entries", ("event_id", "class_name", "name_key"),
                 cols=("class_key", "row_number", "display_name", "sort_name", "transponder"), restores=True)
POINTS_TABLES = Upsert("points_tables", "points_tables", ("points_id",),
                       cols=("track_slug", "caption", "tie_breaker_rule"), fill=("event_id",))
POINTS_ROWS = Upsert("points_rows", "points_rows", ("points_id", "class_name", "name_key"),
                     cols=("class_key", "position", "driver_name", "result_points", "tie_breaker_raw"), restores=True)
POINTS_ROUNDS = Upsert("points_rounds", "points_rounds", ("points_id", "class_name", "name_key", "round_number"),
                       cols=("points", "laps", "total_time", "flag", "counted"), restores=True)
MULTI_MAIN_RESULTS = Upsert("multi_main_results", "multi_main_results", ("multi_main_id",),
                            cols=("track_slug", "class_name", "class_key", "main_letter", "main_format", "leg_labels",
                                  "tie_breaker_rule", "completed_legs", "scheduled_legs"), fill=("event_id",))
MULTI_MAIN_ROWS = Upsert("multi_main_rows", "multi_main_rows", ("multi_main_id", "name_key"),
                         cols=("position", "seeded_position", "driver_name", "points"), restores=True)
MULTI_MAIN_LEGS = Upsert("multi_main_legs", "multi_main_legs", ("multi_main_id", "name_key", "leg_number"),
                         cols=("leg_label", "place", "leg_points", "laps", "total_time", "flag", "sat_out"),
                         restores=True)

# Flush order: parents before children (foreign keys).
ORDER = (
    TRACK_STUB, TRACKS_FROM_LISTING, TRACKS_FROM_DASHBOARD, EVENT_STUB, EVENTS_FROM_LIST, EVENTS_FROM_PAGE,
    RACES_FROM_EVENT, RACES_FROM_PAGE, DRIVERS, RESULTS, LAPS, ENTRY_LISTS, ENTRY_CLASSES, ENTRIES,
    POINTS_TABLES, POINTS_ROWS, POINTS_ROUNDS, MULTI_MAIN_RESULTS, MULTI_MAIN_ROWS, MULTI_MAIN_LEGS,
)


def _t(table: str) -> sql.Composed:
    return sql.Identifier(SCHEMA, table)
