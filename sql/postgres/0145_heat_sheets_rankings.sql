-- 0145_heat_sheets_rankings: heat sheets (line-ups), round rankings and the overall final ranking
-- (FIELD-GUIDE §11.3-§11.5). None of these pages shows driver ids: rows are keyed by the
-- normalized printed name (as points rows are) or by grid slot. A line-up never writes race
-- results: it is matched to them by race id in the warehouse, and results win where both exist.

CREATE TABLE mre.heat_sheets (
    heat_sheet_id  bigint PRIMARY KEY,             -- the page's own id (not the round ranking's)
    event_id       bigint REFERENCES mre.events (event_id),
    track_slug     text NOT NULL REFERENCES mre.tracks (slug),
    round_name     text,                           -- "Qualifier Round 2" | "Main Events"
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX heat_sheets_event_idx ON mre.heat_sheets (event_id);

CREATE TABLE mre.heat_sheet_races (
    heat_sheet_id  bigint  NOT NULL REFERENCES mre.heat_sheets (heat_sheet_id),
    race_number    integer NOT NULL,               -- restarts at 1 in each round, as on the event page
    race_label     text    NOT NULL,               -- "1/8 Buggy (Heat 2/4)", "1/8 Buggy A1-Main"
    class_name     text,                           -- NULL when the label names no class ("Semi A (Odd)")
    class_key      text,
    heat_number    integer,
    heat_count     integer,
    status         text,                           -- "Complete" | "Not Started" as printed
    race_id        bigint,                         -- the "View Results" link; NULL before the race ran
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    removed_at     timestamptz,
    PRIMARY KEY (heat_sheet_id, race_number)
);
CREATE INDEX heat_sheet_races_race_idx ON mre.heat_sheet_races (race_id);

CREATE TABLE mre.lineups (
    heat_sheet_id  bigint  NOT NULL,
    race_number    integer NOT NULL,
    grid_position  integer NOT NULL,               -- 1 = pole
    car_number     text,
    driver_name    text    NOT NULL,
    name_key       text    NOT NULL,
    transponder    text,                           -- NULL where the sheet shows no transponder column
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    removed_at     timestamptz,
    PRIMARY KEY (heat_sheet_id, race_number, grid_position),
    FOREIGN KEY (heat_sheet_id, race_number) REFERENCES mre.heat_sheet_races (heat_sheet_id, race_number)
);

CREATE TABLE mre.round_rankings (
    ranking_id     bigint PRIMARY KEY,             -- view_round_ranking&id=
    event_id       bigint REFERENCES mre.events (event_id),
    track_slug     text NOT NULL REFERENCES mre.tracks (slug),
    mode           text,                           -- the o= value as given (laps_time, top_3_consecutive, ...)
    round_name     text,
    columns        text[],                         -- metric headers in page order
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX round_rankings_event_idx ON mre.round_rankings (event_id);

CREATE TABLE mre.round_ranking_rows (
    ranking_id        bigint  NOT NULL REFERENCES mre.round_rankings (ranking_id),
    class_name        text    NOT NULL,
    name_key          text    NOT NULL,
    class_key         text    NOT NULL,
    position          integer NOT NULL,
    driver_name       text    NOT NULL,
    laps              integer,
    total_time        numeric(10,3),
    flag              text,                        -- DNS | DNF
    top2_consecutive  numeric(10,3),
    top3_consecutive  numeric(10,3),
    avg_top5          numeric(10,3),
    fastest_lap       numeric(10,3),
    avg_lap           numeric(10,3),
    heat_number       integer,
    heat_count        integer,
    race_id           bigint,                      -- the Heat link: where the ranked time was set
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    removed_at        timestamptz,
    PRIMARY KEY (ranking_id, class_name, name_key)
);

CREATE TABLE mre.overall_rankings (
    event_id       bigint PRIMARY KEY REFERENCES mre.events (event_id),  -- the page's id is the event id
    track_slug     text NOT NULL REFERENCES mre.tracks (slug),
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE mre.overall_ranking_rows (
    event_id       bigint  NOT NULL REFERENCES mre.overall_rankings (event_id),
    class_name     text    NOT NULL,
    name_key       text    NOT NULL,
    class_key      text    NOT NULL,
    position       integer NOT NULL,               -- one sequence per class across all mains
    driver_name    text    NOT NULL,
    main_place     integer,                        -- "[n]": the place within that main
    points         integer,                        -- the first of "[x] [y]" on multi-main classes
    laps           integer,
    total_time     numeric(10,3),
    flag           text,
    result_raw     text,
    race_label     text,                           -- "A Main", "B-Main", "A-Final" as printed
    race_id        bigint,                         -- where the Race cell links the race
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    removed_at     timestamptz,
    PRIMARY KEY (event_id, class_name, name_key)
);
