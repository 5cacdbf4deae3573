-- 0070_followed_tracks: tracks a user follows, the syncs that keep them current, and one metrics
-- row per run of any kind (issue 10). This file is the shared contract of `mre follow`/`mre sync`
-- (writers) and `mre health` (reader); later migrations add to it, never rename.
--
-- * followed_tracks: one row per followed track; the last_sync_* columns are written by `mre sync`
--   in the same transaction as the sync's per-track outcome.
-- * sync_runs: one row per `mre sync` (finished_at NULL while running or after a kill).
-- * sync_track_runs: one row per (sync, track): what was done, what is new, how it went.
-- * run_metrics: one row per run of any kind (crawl, practice-discover, practice-ingest, sync,
--   warehouse-build, reprocess, ...), keyed by (kind, run_ref) so a kind's own run id is kept.
CREATE TABLE mre.followed_tracks (
    slug              text PRIMARY KEY CHECK (slug = lower(slug)),
    practice          boolean NOT NULL DEFAULT false,
    since             date,
    followed_at       timestamptz NOT NULL DEFAULT now(),
    last_sync_at      timestamptz,
    last_sync_ok_at   timestamptz,
    last_sync_status  text,           -- ok | failed | skipped-budget | partial | ...
    last_sync_message text,
    last_sync_run_id  bigint
);

CREATE TABLE mre.sync_runs (
    sync_id       bigserial PRIMARY KEY,
    started_at    timestamptz NOT NULL DEFAULT now(),
    finished_at   timestamptz,
    exit_code     integer,
    args          jsonb NOT NULL DEFAULT '{}',
    summary       jsonb
);

CREATE TABLE mre.sync_track_runs (
    sync_id       bigint NOT NULL REFERENCES mre.sync_runs(sync_id) ON DELETE CASCADE,
    slug          text NOT NULL,
    started_at    timestamptz NOT NULL DEFAULT now(),
    finished_at   timestamptz,
    status        text,
    message       text,
    new_counts    jsonb,          -- events, races, practice_days, practice_sessions, bumpups
    PRIMARY KEY (sync_id, slug)
);

CREATE TABLE mre.run_metrics (
    metric_id     bigserial PRIMARY KEY,
    kind          text NOT NULL,  -- crawl | practice-discover | practice-ingest | sync | warehouse-build | ...
    run_ref       text,           -- the kind's own id (crawl run_id, practice run id, sync_id, ...)
    track_slug    text,           -- NULL when the run spans tracks
    started_at    timestamptz NOT NULL,
    finished_at   timestamptz,
    ok            boolean,
    metrics       jsonb NOT NULL DEFAULT '{}'   -- requests, latency_p50_ms, latency_p95_ms, cache_hits,
                                                -- cache_misses, retries, http_429, http_503,
                                                -- retry_after_pauses, pages_failed, quarantined,
                                                -- discovery_requests, discovery_results,
                                                -- ingest_ok, ingest_failed, drift_sessions,
                                                -- drift_max_hours, low_confidence_session_types,
                                                -- rows_written, duration_s
);
CREATE INDEX run_metrics_kind_started ON mre.run_metrics (kind, started_at);
