-- 0001_core: the system of record for LiveRC results.
--
-- Everything lives in schema `mre` (the warehouse publishes marts into its own `marts` schema, so
-- the two never mix). Natural keys are LiveRC's ids; track slugs are folded to lower case.
-- Conventions:
--   * created_at / updated_at on every table; updated_at moves only when a value really changed
--     (the store's upserts skip unchanged rows).
--   * removed_at on rows that can vanish upstream (a race gone from its event page, a result row
--     gone from its race): set when the row disappears, cleared if it comes back. Never deleted.
--   * times LiveRC prints are local wall-clock values: stored as `timestamp` (no zone) next to the
--     track's IANA zone, the UTC instant (computed in Python with zoneinfo) and a time_flag
--     ('ambiguous' | 'nonexistent' | 'no_zone' | NULL).
--   * published figures are kept exactly as printed: seconds as numeric(10,3).

CREATE SCHEMA IF NOT EXISTS mre;

-- ---------------------------------------------------------------------------------------------
-- Tracks: the catalogue row + the dashboard (address, lifetime stats) + the time zone.
-- ---------------------------------------------------------------------------------------------
CREATE TABLE mre.tracks (
    slug                       text PRIMARY KEY CHECK (slug = lower(slug)),
    slug_raw                   text,            -- as the catalogue links it (mixed case exists)
    name                       text,
    -- catalogue (https://live.liverc.com/)
    latest_event_name          text,
    last_activity              text,            -- relative words only ("3 weeks ago")
    catalogue_status           text[],
    catalogue_row_url          text,
    -- dashboard address
    address_name               text,
    address_lines              text[],
    city                       text,
    region                     text,
    postcode                   text,
    country                    text,
    country_code               text,
    phone                      text,
    website                    text,
    email                      text,
    facebook                   text,
    live_status                text,
    results_this_month         integer,
    sessions_this_month        integer,
    lifetime_laps              bigint,
    lifetime_practice_sessions bigint,
    lifetime_races             bigint,
    lifetime_entries           bigint,
    lifetime_events            bigint,
    -- time zone: from the address ('address' or 'address-approx'), or set by a person ('override',
    -- never overwritten by a crawl). NULL = unknown, reported by `mre tracks list`.
    time_zone                  text,
    time_zone_source           text CHECK (time_zone_source IN ('address', 'address-approx', 'override')),
    time_zone_note             text,            -- why the zone is what it is (or why unknown)
    created_at                 timestamptz NOT NULL DEFAULT now(),
    updated_at                 timestamptz NOT NULL DEFAULT now()
);

-- ---------------------------------------------------------------------------------------------
-- Events. One table for every source of events, keyed by a text `source_event_id`:
--   source 'liverc'   -> the LiveRC event id as text ('486677'); `event_id` holds it as bigint
--   source 'practice' -> '{track_slug}-practice-{YYYY-MM-DD}' (a later issue); `event_id` NULL
-- The two namespaces cannot collide (practice ids contain letters). The events list (/events/)
-- and the event page fill different columns (listed_* vs the page's own figures).
-- ---------------------------------------------------------------------------------------------
CREATE TABLE mre.events (
    source_event_id     text PRIMARY KEY,
    source              text NOT NULL DEFAULT 'liverc' CHECK (source IN ('liverc', 'practice')),
    event_id            bigint UNIQUE,
    track_slug          text NOT NULL REFERENCES mre.tracks (slug),
    name                text,
    track_name          text,             -- as printed on the event page
    date_start          date,
    date_end            date,
    race_track          text,             -- Event Stats "Race Track" ("Offroad")
    entries             integer,          -- Event Stats on the event page
    drivers             integer,
    total_race_laps     integer,
    -- from the track's events list
    listed_start_local  timestamp,        -- the list's hidden sort stamp
    listed_start_has_time boolean,        -- false when the stamp is 00:00:00 (no time)
    listed_date         date,
    listed_entries      integer,
    listed_drivers      integer,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    removed_at          timestamptz,
    CHECK ((source = 'liverc') = (event_id IS NOT NULL)),
    CHECK (source <> 'liverc' OR source_event_id = event_id::text),
    CHECK (source <> 'practice' OR source_event_id LIKE track_slug || '-practice-%')
);
CREATE INDEX events_track_idx ON mre.events (track_slug, date_start);

-- LiveRC drivers (only race pages carry their ids).
CREATE TABLE mre.drivers (
    driver_id        bigint PRIMARY KEY,
    display_name     text,       -- "Felix Koegler" (from LiveRC's UPPER CASE "FELIX KOEGLER")
    normalized_name  text,       -- "felix koegler": for matching entry lists and practice names
    printed_name     text,       -- last name as printed
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX drivers_name_idx ON mre.drivers (normalized_name);

-- ---------------------------------------------------------------------------------------------
-- Races: one row per race id, filled from the event page (round, class, completion time,
-- schedule order) and from the race page (length, caption tag).
-- ---------------------------------------------------------------------------------------------
CREATE TABLE mre.races (
    race_id          bigint PRIMARY KEY,
    event_id         bigint REFERENCES mre.events (event_id),
    track_slug       text NOT NULL REFERENCES mre.tracks (slug),
    round_name       text,              -- "Main Events", "Qualifier Round 3"
    race_number      integer,
    class_name       text,              -- as printed: "1/8 Nitro Buggy"
    class_key        text,              -- normalized: "1/8 nitro buggy" (1-8 / 1/8 / case folded)
    race_name        text,              -- "1/8 Nitro Buggy A-Main"
    race_label_raw   text,              -- event page link text as printed
    heat_number      integer,
    heat_count       integer,
    completed_local  timestamp,         -- event page "Time Completed", track wall clock
    time_zone        text,              -- the track's zone used for completed_utc
    completed_utc    timestamptz,       -- NULL when the track's zone is unknown
    time_flag        text CHECK (time_flag IN ('ambiguous', 'nonexistent', 'no_zone')),
    length_seconds   integer,
    length_kind      text,              -- "Timed"
    caption_tag      text,              -- "M1 Race #14"
    schedule_index   integer,           -- 0 = first race run at the event
    session_type     text,              -- NULL until inferred (a later issue)
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    removed_at       timestamptz
);
CREATE INDEX races_event_idx ON mre.races (event_id, schedule_index);
CREATE INDEX races_track_idx ON mre.races (track_slug);

-- One row per race and driver, every figure LiveRC publishes.
CREATE TABLE mre.race_results (
    race_id                bigint NOT NULL REFERENCES mre.races (race_id),
    driver_id              bigint NOT NULL REFERENCES mre.drivers (driver_id),
    position               integer NOT NULL,
    car_number             text,
    driver_name            text,            -- as printed on this race page
    qual_position          integer,
    grid_position          integer,         -- from the lap-0 grid entry
    laps                   integer,
    total_time             numeric(10,3),   -- seconds from the start signal
    behind_seconds         numeric(10,3),   -- gap to the car directly ahead
    behind_laps            integer,
    fastest_lap            numeric(10,3),
    fastest_lap_number     integer,
    avg_lap                numeric(10,3),
    avg_top5               numeric(10,3),
    avg_top10              numeric(10,3),
    avg_top15              numeric(10,3),
    top2_consecutive       numeric(10,3),
    top3_consecutive       numeric(10,3),
    std_deviation          numeric(10,3),
    consistency            numeric(10,3),   -- percent
    std_deviation_precise  numeric(10,3),
    consistency_precise    numeric(10,3),
    status                 text NOT NULL,   -- finished | did_not_start | stopped_early
    driver_id_source       text,            -- row | racer_laps
    created_at             timestamptz NOT NULL DEFAULT now(),
    updated_at             timestamptz NOT NULL DEFAULT now(),
    removed_at             timestamptz,
    PRIMARY KEY (race_id, driver_id)
);
CREATE INDEX race_results_driver_idx ON mre.race_results (driver_id);

-- One row per race, driver and lap (lap 0, the grid slot, is race_results.grid_position).
CREATE TABLE mre.laps (
    race_id      bigint   NOT NULL,
    driver_id    bigint   NOT NULL,
    lap_number   smallint NOT NULL,
    lap_time     numeric(10,3),
    position     smallint,           -- running position at the end of the lap
    pace_raw     text,               -- LiveRC's projection "48/30:32.160"; not a result
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    removed_at   timestamptz,
    PRIMARY KEY (race_id, driver_id, lap_number)
    -- No foreign key to race_results: laps are the bulk of every crawl (~500 per race page) and a
    -- per-row RI trigger would cost more than the insert; the store writes a race's results and
    -- laps in one transaction, and sql/checks can assert the pairing.
);

-- ---------------------------------------------------------------------------------------------
-- Entry lists (keyed by the event id: LiveRC's entry-list id is the event id). No driver ids on
-- entry lists: matched_driver_id is filled by name matching later (NULL until then).
-- ---------------------------------------------------------------------------------------------
CREATE TABLE mre.entry_lists (
    event_id        bigint PRIMARY KEY REFERENCES mre.events (event_id),
    total_entries   integer,
    total_drivers   integer,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE mre.entry_list_classes (
    event_id          bigint NOT NULL REFERENCES mre.entry_lists (event_id),
    class_name        text   NOT NULL,   -- as printed
    class_key         text   NOT NULL,
    printed_entries   integer,           -- "Entries: N"
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    removed_at        timestamptz,
    PRIMARY KEY (event_id, class_name)
);

CREATE TABLE mre.entries (
    event_id           bigint NOT NULL REFERENCES mre.entry_lists (event_id),
    class_name         text   NOT NULL,
    name_key           text   NOT NULL,  -- normalized display name: one entry per person and class
    class_key          text   NOT NULL,
    row_number         integer,
    display_name       text,              -- "RICHARD BRATTON" as printed
    sort_name          text,              -- "BRATTON, RICHARD"
    transponder        text,              -- text: "2222363/2" exists
    matched_driver_id  bigint REFERENCES mre.drivers (driver_id),
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    removed_at         timestamptz,
    PRIMARY KEY (event_id, class_name, name_key)
);
CREATE INDEX entries_name_idx ON mre.entries (name_key);

-- ---------------------------------------------------------------------------------------------
-- Points / standings (/results/?p=view_points&id=N).
-- ---------------------------------------------------------------------------------------------
CREATE TABLE mre.points_tables (
    points_id         bigint PRIMARY KEY,
    event_id          bigint REFERENCES mre.events (event_id),
    track_slug        text NOT NULL REFERENCES mre.tracks (slug),
    caption           text,              -- "Qual Points (best 1 of 2)"
    tie_breaker_rule  text,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE mre.points_rows (
    points_id        bigint NOT NULL REFERENCES mre.points_tables (points_id),
    class_name       text   NOT NULL,
    name_key         text   NOT NULL,
    class_key        text   NOT NULL,
    position         integer,
    driver_name      text,
    result_points    integer,
    tie_breaker_raw  text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    removed_at       timestamptz,
    PRIMARY KEY (points_id, class_name, name_key)
);

CREATE TABLE mre.points_rounds (
    points_id     bigint  NOT NULL,
    class_name    text    NOT NULL,
    name_key      text    NOT NULL,
    round_number  integer NOT NULL,
    points        integer,
    laps          integer,
    total_time    numeric(10,3),
    flag          text,               -- DNS | DNF
    counted       boolean,            -- printed in bold: the round that counts
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    removed_at    timestamptz,
    PRIMARY KEY (points_id, class_name, name_key, round_number),
    FOREIGN KEY (points_id, class_name, name_key) REFERENCES mre.points_rows (points_id, class_name, name_key)
);

-- ---------------------------------------------------------------------------------------------
-- Crawl bookkeeping.
-- ---------------------------------------------------------------------------------------------
CREATE TABLE mre.crawl_runs (
    run_id         bigserial PRIMARY KEY,
    spider         text NOT NULL,
    args           jsonb NOT NULL DEFAULT '{}',
    started_at     timestamptz NOT NULL DEFAULT now(),
    finished_at    timestamptz,
    finish_reason  text,
    stats          jsonb,                -- Scrapy's stats at close
    pages          integer,              -- summary counts written by the store
    rows_inserted  integer,
    rows_updated   integer,
    rows_removed   integer,
    quarantined    integer
);

-- The latest fetch of each URL (one row per URL; fetch_count counts them all).
CREATE TABLE mre.fetched_pages (
    url               text PRIMARY KEY,
    page_type         text,
    status            integer,
    body_sha256       text,
    bytes             integer,
    from_cache        boolean NOT NULL DEFAULT false,
    fetched_at        timestamptz NOT NULL DEFAULT now(),
    first_fetched_at  timestamptz NOT NULL DEFAULT now(),
    changed_at        timestamptz,       -- last time the body hash differed from the previous fetch
    fetch_count       integer NOT NULL DEFAULT 1,
    run_id            bigint REFERENCES mre.crawl_runs (run_id)
);

-- Pages that failed to parse and items/rows that failed validation: nothing is lost.
-- item_key names the part of the page ('' = the whole page, 'driver:346997', 'positions').
CREATE TABLE mre.quarantine (
    quarantine_id  bigserial PRIMARY KEY,
    url            text NOT NULL,
    page_type      text,
    item_key       text NOT NULL DEFAULT '',
    reason         text NOT NULL,
    body           bytea,
    body_sha256    text,
    raw            jsonb,               -- the item's / row's fields as read
    first_seen     timestamptz NOT NULL DEFAULT now(),
    last_seen      timestamptz NOT NULL DEFAULT now(),
    attempts       integer NOT NULL DEFAULT 1,
    resolved_at    timestamptz,
    run_id         bigint REFERENCES mre.crawl_runs (run_id)
);
-- One open entry per URL and item; a re-crawl of the same bad page bumps attempts/last_seen.
CREATE UNIQUE INDEX quarantine_open_idx ON mre.quarantine (url, item_key) WHERE resolved_at IS NULL;
