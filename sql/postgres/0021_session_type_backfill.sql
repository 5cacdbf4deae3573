-- 0021_session_type_backfill: `mre session-type backfill` writes inferred session types into
-- mre.races.session_type in batches, resumably, with an audit log and a rollback.
--
-- * session_type_backfill_runs: one row per backfill (or rollback) run and its progress.
-- * session_type_backfill_plan: the races a run will write, in order (override/high confidence
--   first), frozen when the run starts so a resumed run finishes exactly the same plan.
--   `applied` flips in the same transaction as the races update, so a run killed between
--   batches resumes at the first unapplied row and a killed batch leaves nothing half-done.
-- * session_type_audit: every value a run changed (run, race, old, new, when); a rollback run
--   writes the reverse changes here too, so the log is the whole history.
CREATE TABLE mre.session_type_backfill_runs (
    run_id          bigserial PRIMARY KEY,
    kind            text NOT NULL DEFAULT 'backfill' CHECK (kind IN ('backfill', 'rollback')),
    rollback_of     bigint REFERENCES mre.session_type_backfill_runs (run_id),
    min_confidence  text CHECK (min_confidence IN ('high', 'medium', 'low')),
    batch_size      integer NOT NULL CHECK (batch_size > 0),
    status          text NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'finished', 'rolled_back')),
    planned         integer NOT NULL DEFAULT 0,
    applied         integer NOT NULL DEFAULT 0,   -- plan rows done (changed or found already equal)
    changed         integer NOT NULL DEFAULT 0,   -- races whose value really changed
    started_by      text NOT NULL,
    started_at      timestamptz NOT NULL DEFAULT now(),
    finished_at     timestamptz
);

CREATE TABLE mre.session_type_backfill_plan (
    run_id            bigint  NOT NULL REFERENCES mre.session_type_backfill_runs (run_id),
    ordinal           integer NOT NULL,
    race_id           bigint  NOT NULL REFERENCES mre.races (race_id),
    new_session_type  text,
    confidence        text,
    applied           boolean NOT NULL DEFAULT false,
    PRIMARY KEY (run_id, ordinal)
);

CREATE TABLE mre.session_type_audit (
    audit_id          bigserial PRIMARY KEY,
    run_id            bigint NOT NULL REFERENCES mre.session_type_backfill_runs (run_id),
    race_id           bigint NOT NULL REFERENCES mre.races (race_id),
    old_session_type  text,
    new_session_type  text,
    changed_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX session_type_audit_run_idx ON mre.session_type_audit (run_id, audit_id);
