-- 0071_sync_build_state: whether a sync changed rows and whether the warehouse was rebuilt after
-- it (issue 10). `changed` commits as soon as a track's crawl wrote rows, so a sync killed before
-- its warehouse build leaves `changed AND built_at IS NULL` behind and the next sync builds.
ALTER TABLE mre.sync_runs ADD COLUMN changed boolean NOT NULL DEFAULT false;
ALTER TABLE mre.sync_runs ADD COLUMN built_at timestamptz;
ALTER TABLE mre.sync_runs ADD COLUMN pid integer;
