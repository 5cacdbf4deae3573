-- 0060_rollout_locks: one writer at a time for the rollout tools, exact audit rows, and a run
-- status that never moves back (issue 16).
--
-- * rollout_writers: who holds a rollout tool's advisory lock (`session-type` for backfills and
--   rollbacks, `practice-archive` for archive/restore). The lock itself is a session-level
--   pg_advisory_lock; this row only lets a refused second writer name the running one.
-- * session_type_backfill_runs.stop_requested: `--rollback RUN --stop` sets it; the backfill
--   checks it between batches and stops cleanly (its run stays resumable until rolled back).
-- * session_type_audit.old_updated_at / new_updated_at: the race's updated_at before and after
--   the change, so a rollback restores the row exactly (updated_at included) when nothing else
--   changed it since.
-- * A trigger refuses any status change out of 'rolled_back' (and out of 'finished' except to
--   'rolled_back').
CREATE TABLE mre.rollout_writers (
    lock_name   text PRIMARY KEY,
    pid         integer NOT NULL,
    what        text NOT NULL,
    started_by  text NOT NULL,
    started_at  timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE mre.session_type_backfill_runs ADD COLUMN stop_requested boolean NOT NULL DEFAULT false;
ALTER TABLE mre.session_type_audit ADD COLUMN old_updated_at timestamptz;
ALTER TABLE mre.session_type_audit ADD COLUMN new_updated_at timestamptz;

CREATE FUNCTION mre.session_type_run_status_forward() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.status = 'rolled_back' AND NEW.status <> 'rolled_back' THEN
        RAISE EXCEPTION 'backfill run % was rolled back; its status cannot become %', OLD.run_id, NEW.status;
    END IF;
    IF OLD.status = 'finished' AND NEW.status = 'running' THEN
        RAISE EXCEPTION 'backfill run % finished; its status cannot become running', OLD.run_id;
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER session_type_run_status_forward
    BEFORE UPDATE OF status ON mre.session_type_backfill_runs
    FOR EACH ROW EXECUTE FUNCTION mre.session_type_run_status_forward();
