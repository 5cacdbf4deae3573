-- 0030_practice: practice days (LiveRC /practice/), their sessions, laps and statistics.
--
-- Model (see /work/notes/practice.md):
--   * a practice day is an event: mre.events row with source 'practice' and source_event_id
--     '{track_slug}-practice-{YYYY-MM-DD}' (0001_core.sql reserves that namespace; event_id NULL).
--     Its practice-only facts (time zone, statistics, last_ingested_at) live in mre.practice_days.
--   * a practice session is NOT a row of mre.races: races are keyed by LiveRC race ids and hang off
--     the bigint event_id that practice events do not have, and a session id is a different LiveRC
--     sequence. Sessions get their own tables, linked to the day's event by source_event_id; the
--     view mre.practice_races shows them shaped like races with session_type 'practiceday'.
--   * practice drivers are their own identity namespace: a transponder number is not a LiveRC
--     driver id. The person is the normalized printed name (driver_key), so one person on several
--     transponders is one driver and a transponder lent to several people gives several drivers.
--     'Unknown Driver' is nobody (driver_key NULL).
--   * times: local wall clock (timestamp) + the track's IANA zone + UTC instant + a flag
--     ('ambiguous' | 'nonexistent' | 'no_zone'), same rule as races (mre_crawler/timezones.py),
--     made monotonic within a session (mre_crawler/practice/timing.py).
--   * rows that vanish upstream get removed_at (never deleted); archived days move to the
--     mre_archive schema and can be moved back.

CREATE TABLE mre.practice_drivers (
    driver_key    text PRIMARY KEY,       -- normalized name: "greg rosander"
    display_name  text,                   -- as printed on practice pages: "Greg Rosander"
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);

-- One row per practice day (1:1 with its mre.events row).
CREATE TABLE mre.practice_days (
    source_event_id            text PRIMARY KEY REFERENCES mre.events (source_event_id),
    track_slug                 text NOT NULL REFERENCES mre.tracks (slug),
    practice_date              date NOT NULL,
    time_zone                  text,             -- the track's zone used for every *_utc below
    -- our statistics, computed after normalization from the sessions not removed
    session_count              integer,
    total_laps                 integer,
    total_track_time_seconds   numeric(12,3),    -- LiveRC's definition: sum of laps x average lap
    unique_drivers             integer,          -- distinct driver_key (Unknown Driver not counted)
    unique_classes             integer,          -- distinct class_key, Unknown Class counted (as LiveRC)
    unique_known_classes       integer,          -- distinct class_key without Unknown Class
    unique_transponders        integer,
    first_session_start_local  timestamp,
    first_session_start_utc    timestamptz,
    last_session_end_local     timestamp,        -- the last session's END (detail page), not its start
    last_session_end_utc       timestamptz,
    last_session_end_estimated boolean,          -- true: no detail page yet, end = start + length
    time_flags                 integer NOT NULL DEFAULT 0,  -- DST-flagged times stored for this day
    -- LiveRC's own "Practice Stats" panel, as printed
    panel_total_laps           integer,
    panel_total_track_time_seconds integer,
    panel_unique_drivers       integer,
    panel_unique_classes       integer,
    panel_first_session_local  time,
    panel_last_session_local   time,             -- LiveRC prints the last session's START here
    -- the recorded differences (ours - LiveRC's); NULL when either side is unknown
    diff_total_laps            integer GENERATED ALWAYS AS (total_laps - panel_total_laps) STORED,
    diff_total_track_time_seconds numeric(12,3)
        GENERATED ALWAYS AS (total_track_time_seconds - panel_total_track_time_seconds) STORED,
    diff_unique_drivers        integer GENERATED ALWAYS AS (unique_drivers - panel_unique_drivers) STORED,
    diff_unique_classes        integer GENERATED ALWAYS AS (unique_classes - panel_unique_classes) STORED,
    -- the panel's track time is rounded to a second: a difference under 1 s is not a difference
    matches_panel              boolean GENERATED ALWAYS AS (
        total_laps = panel_total_laps AND unique_drivers = panel_unique_drivers
        AND unique_classes = panel_unique_classes
        AND abs(total_track_time_seconds - panel_total_track_time_seconds) < 1) STORED,
    last_ingested_at           timestamptz,      -- bookkeeping: not part of the change check
    created_at                 timestamptz NOT NULL DEFAULT now(),
    updated_at                 timestamptz NOT NULL DEFAULT now(),
    removed_at                 timestamptz,
    CHECK (source_event_id = track_slug || '-practice-' || to_char(practice_date, 'YYYY-MM-DD'))
);
CREATE INDEX practice_days_track_idx ON mre.practice_days (track_slug, practice_date);

-- Laps per class: ours (class_key) next to the panel's pie-chart figure (printed class name).
CREATE TABLE mre.practice_day_classes (
    source_event_id  text NOT NULL REFERENCES mre.practice_days (source_event_id),
    class_key        text NOT NULL,
    class_name       text,            -- one printed form
    sessions         integer,
    laps             integer,
    panel_laps       integer,         -- LiveRC's laps-per-class chart
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    removed_at       timestamptz,
    PRIMARY KEY (source_event_id, class_key)
);

CREATE TABLE mre.practice_sessions (
    session_id              bigint PRIMARY KEY,          -- LiveRC's practice session id
    source_event_id         text NOT NULL REFERENCES mre.events (source_event_id),
    track_slug              text NOT NULL REFERENCES mre.tracks (slug),
    practice_date           date NOT NULL,               -- the day it STARTED (cross-midnight rule)
    session_type            text NOT NULL DEFAULT 'practiceday' CHECK (session_type = 'practiceday'),
    driver_name             text,                        -- as printed ("Unknown Driver" kept)
    driver_key              text REFERENCES mre.practice_drivers (driver_key),  -- NULL: Unknown Driver
    class_name              text,                        -- as printed ("Unknown Class" kept)
    class_key               text,                        -- normalized ("1/10 open")
    transponder             text,
    -- from the day overview
    start_local             timestamp,
    start_utc               timestamptz,
    start_flag              text CHECK (start_flag IN ('ambiguous', 'nonexistent', 'no_zone')),
    laps                    integer,
    length_seconds          integer,                     -- LiveRC's rounded sum of lap times
    fastest_lap             numeric(10,3),
    avg_lap                 numeric(10,3),
    summary_sha256          text,                        -- the overview row; a change refetches the detail
    -- from the session page
    detail_summary_sha256   text,                        -- summary_sha256 when the detail was stored
    end_local               timestamp,                   -- may be the next day (cross midnight)
    end_utc                 timestamptz,
    end_flag                text CHECK (end_flag IN ('ambiguous', 'nonexistent', 'no_zone')),
    detail_length_seconds   numeric(10,3),
    lap_count               integer,
    top3_consecutive        numeric(10,3),
    avg_top5                numeric(10,3),
    avg_top10               numeric(10,3),
    avg_top15               numeric(10,3),
    std_deviation           numeric(10,3),
    consistency             numeric(10,3),               -- percent
    valid_lap_min           numeric(10,3),
    valid_lap_max           numeric(10,3),
    created_at              timestamptz NOT NULL DEFAULT now(),
    updated_at              timestamptz NOT NULL DEFAULT now(),
    removed_at              timestamptz
);
CREATE INDEX practice_sessions_event_idx ON mre.practice_sessions (source_event_id);
CREATE INDEX practice_sessions_driver_idx ON mre.practice_sessions (driver_key);
CREATE INDEX practice_sessions_transponder_idx ON mre.practice_sessions (track_slug, transponder);

CREATE TABLE mre.practice_laps (
    session_id   bigint   NOT NULL REFERENCES mre.practice_sessions (session_id),
    lap_number   smallint NOT NULL,
    lap_time     numeric(10,3),
    end_local    timestamp,           -- wall-clock moment the lap ended (lapsObj "time")
    end_utc      timestamptz,
    time_flag    text CHECK (time_flag IN ('ambiguous', 'nonexistent', 'no_zone')),
    is_valid     boolean,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    removed_at   timestamptz,
    PRIMARY KEY (session_id, lap_number)
);

-- What discovery saw of each day (latest look), so ingest and drift can compare.
CREATE TABLE mre.practice_discoveries (
    track_slug                 text NOT NULL,
    practice_date              date NOT NULL,
    month_session_count        integer,          -- the month view's count
    session_count              integer,          -- rows on the day overview (NULL: overview not read)
    total_laps                 integer,
    total_track_time_seconds   numeric(12,3),
    unique_drivers             integer,
    unique_classes             integer,
    first_session_start_local  timestamp,
    last_session_end_local     timestamp,        -- estimated: start + length (the overview has no end)
    session_ids                bigint[],
    overview_error             text,             -- why the overview could not be read
    first_discovered_at        timestamptz NOT NULL DEFAULT now(),
    discovered_at              timestamptz NOT NULL DEFAULT now(),
    run_id                     bigint,
    PRIMARY KEY (track_slug, practice_date)
);

-- Session pages that failed: `mre practice retry` fetches them again.
CREATE TABLE mre.practice_retry (
    session_id        bigint PRIMARY KEY,
    track_slug        text NOT NULL,
    practice_date     date NOT NULL,
    url               text NOT NULL,
    reason            text NOT NULL,
    attempts          integer NOT NULL DEFAULT 1,
    first_failed_at   timestamptz NOT NULL DEFAULT now(),
    last_failed_at    timestamptz NOT NULL DEFAULT now(),
    resolved_at       timestamptz,
    run_id            bigint
);
CREATE INDEX practice_retry_open_idx ON mre.practice_retry (track_slug, practice_date) WHERE resolved_at IS NULL;

-- One row per `mre practice` run, with its metrics typed.
CREATE TABLE mre.practice_runs (
    run_id              bigserial PRIMARY KEY,
    command             text NOT NULL,        -- discover | ingest | drift | retry | archive
    track_slug          text,
    date_from           date,
    date_to             date,
    args                jsonb NOT NULL DEFAULT '{}',
    crawl_run_id        bigint REFERENCES mre.crawl_runs (run_id),
    started_at          timestamptz NOT NULL DEFAULT now(),
    finished_at         timestamptz,
    finish_reason       text,
    days                integer,              -- practice days handled
    days_busy           integer,              -- days another process was ingesting
    sessions_stored     integer,
    details_fetched     integer,
    details_failed      integer,
    rows_changed        integer,
    requests            integer,
    cache_hits          integer,
    cache_misses        integer,
    rate_limit_waits    integer,
    retry_after_waits   integer,
    retries             integer,
    budget_used         integer,
    budget_resets_at    timestamptz,          -- set when the budget ran out during the run
    failures            integer
);

CREATE TABLE mre.practice_run_failures (
    run_id   bigint NOT NULL REFERENCES mre.practice_runs (run_id),
    url      text NOT NULL,
    reason   text NOT NULL
);

-- Sessions shaped like races, for queries that treat every timed session alike.
CREATE VIEW mre.practice_races AS
SELECT s.session_id                           AS race_id,
       s.source_event_id,
       s.track_slug,
       'practiceday'::text                    AS session_type,
       s.class_name,
       s.class_key,
       s.class_name || ' practice (' || coalesce(s.driver_name, '?') || ')' AS race_name,
       s.start_local,
       s.start_utc,
       s.end_local                            AS completed_local,
       s.end_utc                              AS completed_utc,
       d.time_zone,
       s.removed_at
FROM mre.practice_sessions s
JOIN mre.practice_days d USING (source_event_id);

-- Transponders and people: both directions of the many-to-many (a person on several
-- transponders; a transponder lent to several people).
CREATE VIEW mre.practice_transponder_drivers AS
SELECT track_slug, transponder, driver_key,
       min(driver_name) AS driver_name,
       count(*)         AS sessions,
       min(practice_date) AS first_date,
       max(practice_date) AS last_date
FROM mre.practice_sessions
WHERE removed_at IS NULL AND transponder IS NOT NULL
GROUP BY track_slug, transponder, driver_key;

-- Practice drivers whose normalized name equals a LiveRC race driver's (a suggestion, by name only).
CREATE VIEW mre.practice_driver_matches AS
SELECT p.driver_key, p.display_name, d.driver_id, d.display_name AS race_display_name
FROM mre.practice_drivers p
JOIN mre.drivers d ON d.normalized_name = p.driver_key;

-- Archive: the same tables in their own schema. `mre practice archive` moves days there and back.
CREATE SCHEMA IF NOT EXISTS mre_archive;
CREATE TABLE mre_archive.events (LIKE mre.events INCLUDING DEFAULTS);
CREATE TABLE mre_archive.practice_days (LIKE mre.practice_days INCLUDING DEFAULTS);
CREATE TABLE mre_archive.practice_day_classes (LIKE mre.practice_day_classes INCLUDING DEFAULTS);
CREATE TABLE mre_archive.practice_sessions (LIKE mre.practice_sessions INCLUDING DEFAULTS);
CREATE TABLE mre_archive.practice_laps (LIKE mre.practice_laps INCLUDING DEFAULTS);
ALTER TABLE mre_archive.events ADD PRIMARY KEY (source_event_id);
ALTER TABLE mre_archive.practice_days ADD COLUMN archived_at timestamptz NOT NULL DEFAULT now();
