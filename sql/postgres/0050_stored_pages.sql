-- 0050_stored_pages: the marker "this page's rows are stored" commits with the rows (issue 9).
--
-- Before, a page's body hash lived only in fetched_pages, written by the bookkeeping when the
-- response arrived, so it could commit in an earlier transaction than the page's rows: after a
-- kill -9 the re-run skipped the page as "unchanged" and its rows were never stored. A row here is
-- written by the store in the very transaction that writes the page's rows, and skip-unchanged
-- reads only this table. fetched_pages stays what it is: a log of fetches.
CREATE TABLE mre.stored_pages (
    url          text PRIMARY KEY,
    page_type    text,
    body_sha256  text NOT NULL,
    stored_at    timestamptz NOT NULL DEFAULT now(),
    run_id       bigint REFERENCES mre.crawl_runs (run_id)
);

-- A run's owner: a crawl holds a session advisory lock on (7715, run_id) for its whole life, so
-- the next run can tell a dead run (no lock held) from a running one and close it as aborted.
ALTER TABLE mre.crawl_runs ADD COLUMN pid integer, ADD COLUMN host text;
