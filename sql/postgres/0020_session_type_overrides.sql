-- 0020_session_type_overrides: session types set by a person (`mre session-type set`).
--
-- A curation table: written only by people, never by a crawl, so it survives re-crawls. Rows are
-- never updated: each `set` appends one row, and the warehouse applies the newest row per race
-- (mart_race_session_types: override wins, confidence 'override'). `cleared` rows withdraw an
-- override, letting inference speak again.
CREATE TABLE mre.session_type_overrides (
    override_id   bigserial PRIMARY KEY,
    race_id       bigint NOT NULL REFERENCES mre.races (race_id),
    session_type  text CHECK (session_type IN ('race', 'practice', 'qualifying', 'practiceday')),
    session_kind  text CHECK (session_kind IN ('heat', 'main', 'triple_main_leg', 'double_main_leg', 'lcq',
                                               'semi', 'final', 'seeding', 'practice', 'practiceday', 'unknown')),
    cleared       boolean NOT NULL DEFAULT false,
    reason        text NOT NULL CHECK (length(btrim(reason)) > 0),
    set_by        text NOT NULL,       -- who: the OS user (or --by)
    set_at        timestamptz NOT NULL DEFAULT now(),
    CHECK (cleared OR session_type IS NOT NULL)
);
CREATE INDEX session_type_overrides_race_idx ON mre.session_type_overrides (race_id, set_at DESC);
