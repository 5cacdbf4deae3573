-- 0040_bumpup_corrections: bump-ups a person added or suppressed (`mre bumpups correct`).
--
-- A curation table: written only by people, never by a crawl, so it survives re-crawls and
-- warehouse rebuilds. Rows are never updated: each correction appends one row, and the warehouse
-- (mart_bumpups) applies the newest row per target race and driver:
--   add      the driver bumped from source_race_id into target_race_id (kept even when the
--            results do not show it, e.g. the source page is missing); confidence 'curated'
--   suppress the detected bump-up into target_race_id is not one (e.g. a driver moved up by the
--            race director); it is left out of the marts
--   clear    withdraws the earlier correction, letting detection speak again
CREATE TABLE mre.bumpup_corrections (
    correction_id   bigserial PRIMARY KEY,
    event_id        bigint NOT NULL REFERENCES mre.events (event_id),
    action          text   NOT NULL CHECK (action IN ('add', 'suppress', 'clear')),
    driver_id       bigint NOT NULL,
    source_race_id  bigint REFERENCES mre.races (race_id),
    target_race_id  bigint NOT NULL REFERENCES mre.races (race_id),
    reason          text   NOT NULL CHECK (length(btrim(reason)) > 0),
    set_by          text   NOT NULL,
    set_at          timestamptz NOT NULL DEFAULT now(),
    CHECK (action <> 'add' OR source_race_id IS NOT NULL)
);
CREATE INDEX bumpup_corrections_event_idx ON mre.bumpup_corrections (event_id, set_at DESC);
