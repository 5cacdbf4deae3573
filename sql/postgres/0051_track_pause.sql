-- A track paused by LiveRC (HTTP 429/503 with Retry-After), shared by every crawler process: no
-- process sends a request to the track before paused_until, and no rate slot is handed out inside
-- the pause (see mre_crawler/middlewares/pause.py and PolitenessLedger.take_rate_slot).
-- Times come from the database clock, so machines with skewed clocks agree on when a pause ends.
ALTER TABLE mre.politeness_rate
    ADD COLUMN paused_until timestamptz,   -- NULL or past: not paused
    ADD COLUMN pause_reason text;          -- why, e.g. 'Retry-After' (HTTP 429)
