-- 0090_page_archive: every fetched body kept once (issue 13), and which parser built the stored rows.
--
-- The bodies are files under MRE_ARCHIVE_DIR, named by their SHA-256 and zstd-compressed; this is
-- their index: one row per (URL, body) first fetched at fetched_at. The store writes the file
-- (fsync'd, renamed into place) before the transaction that commits its row, so a row always
-- has its file; a file without a row (a kill in between) is harmless and `mre archive prune`
-- removes it. `mre reprocess` re-parses these bodies with no network.
CREATE TABLE mre.page_archive (
    url           text NOT NULL,
    body_sha256   text NOT NULL,
    page_type     text,
    track_slug    text,
    event_id      bigint,
    status        integer,
    meta          jsonb NOT NULL DEFAULT '{}',  -- the ids the crawler carried (a race page does not show its event)
    bytes         integer NOT NULL,
    stored_bytes  integer NOT NULL,
    fetched_at    timestamptz NOT NULL,
    run_id        bigint,
    PRIMARY KEY (url, body_sha256)
);
CREATE INDEX page_archive_body ON mre.page_archive (body_sha256);
CREATE INDEX page_archive_track ON mre.page_archive (track_slug, fetched_at);

-- Which parser version built a page's stored rows, and a digest of what it parsed: `mre
-- reprocess` skips a page whose (body, parser version) already built them, and writes nothing
-- for a page whose re-parse gives the same items.
ALTER TABLE mre.stored_pages ADD COLUMN parser_version integer, ADD COLUMN items_digest text;
