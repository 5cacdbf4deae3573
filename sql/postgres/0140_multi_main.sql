-- 0140_multi_main: multi-main results (/results/?p=view_multi_main_result&id=N, FIELD-GUIDE §11.2).
--
-- One page per class and main letter: LiveRC's published standing across the legs of a double or
-- triple main (Pos, Seeded, Points) and each driver's leg cells ("1st (1pts) : 16/10:01.133").
-- The page shows no driver ids, so rows are keyed by the normalized printed name, as points rows are.
CREATE TABLE mre.multi_main_results (
    multi_main_id     bigint PRIMARY KEY,            -- the page's own id (not a race or event id)
    event_id          bigint REFERENCES mre.events (event_id),
    track_slug        text NOT NULL REFERENCES mre.tracks (slug),
    class_name        text NOT NULL,
    class_key         text NOT NULL,
    main_letter       text NOT NULL,                 -- "A", "B" ...
    main_format       text,                          -- "Triple", "Double" as printed
    leg_labels        text[] NOT NULL,               -- {"A1","A2","A3"}
    tie_breaker_rule  text,                          -- "IFMAR", "ROAR" as printed
    completed_legs    integer,                       -- "Completed: X of Y"
    scheduled_legs    integer,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX multi_main_results_event_idx ON mre.multi_main_results (event_id);

CREATE TABLE mre.multi_main_rows (
    multi_main_id    bigint NOT NULL REFERENCES mre.multi_main_results (multi_main_id),
    name_key         text   NOT NULL,
    position         integer NOT NULL,               -- LiveRC's published standing
    seeded_position  integer,
    driver_name      text NOT NULL,
    points           integer,                        -- LiveRC's published total
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    removed_at       timestamptz,
    PRIMARY KEY (multi_main_id, name_key)
);

CREATE TABLE mre.multi_main_legs (
    multi_main_id  bigint  NOT NULL,
    name_key       text    NOT NULL,
    leg_number     integer NOT NULL,                 -- 1.. in column order
    leg_label      text    NOT NULL,                 -- "A1", "B3"
    place          integer,                          -- NULL: blank cell
    leg_points     integer,
    laps           integer,
    total_time     numeric(10,3),
    flag           text,                             -- DNS | DNF
    sat_out        boolean NOT NULL,                 -- blank, 0/0.000 or DNS: did not run the leg
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    removed_at     timestamptz,
    PRIMARY KEY (multi_main_id, name_key, leg_number),
    FOREIGN KEY (multi_main_id, name_key) REFERENCES mre.multi_main_rows (multi_main_id, name_key)
);

-- Written by people, never by a crawl: the scoring rule an event's multi-mains are recomputed
-- with when the page's "Tie Breaker:" is not the one the event ran (or names none). Default IFMAR.
CREATE TABLE mre.multi_main_scoring_rules (
    event_id    bigint PRIMARY KEY,
    rule        text NOT NULL CHECK (rule IN ('IFMAR', 'ROAR')),
    note        text,
    created_at  timestamptz NOT NULL DEFAULT now()
);
