-- 0130_stored_pages_part_digests: digests of parts of what a page parsed to (issue 13).
--
-- {"laps": "<digest>"} for a race page: the laps its stored rows were built from. When `mre
-- reprocess` re-parses the same body and a part's digest is the stored one, that part's rows are
-- known to be in the database as the parse would write them, and the store does not stage them
-- again (a race page's laps are ~90% of its rows; a parser change that adds a race or result
-- field then rewrites only those rows).
ALTER TABLE mre.stored_pages ADD COLUMN part_digests jsonb;
