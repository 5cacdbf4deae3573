-- Politeness shared by every crawler process: per-track limits, the next free request slot
-- (rate ceiling) and requests used per UTC day (daily budget). See mre_crawler/middlewares/politeness.py.

-- Per-track overrides of MRE_RATE_PER_MINUTE / MRE_DAILY_BUDGET (NULL: use the setting).
CREATE TABLE mre.politeness_track_limits (
    track_slug      text PRIMARY KEY CHECK (track_slug = lower(track_slug)),
    rate_per_minute real CHECK (rate_per_minute > 0),
    daily_budget    integer CHECK (daily_budget > 0),
    updated_at      timestamptz NOT NULL DEFAULT now()
);

-- The earliest moment the track's next request may be sent (each request pushes it on by 60/rate s).
CREATE TABLE mre.politeness_rate (
    track_slug      text PRIMARY KEY,
    next_request_at timestamptz NOT NULL
);

-- Requests sent per track per UTC day; a request is only sent after taking one unit here.
CREATE TABLE mre.politeness_budget (
    track_slug       text NOT NULL,
    day              date NOT NULL,          -- UTC day; the budget resets at 00:00 UTC
    used             integer NOT NULL CHECK (used >= 0),
    budget           integer NOT NULL CHECK (budget > 0),  -- the budget in force at the last request
    first_request_at timestamptz NOT NULL DEFAULT now(),
    last_request_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (track_slug, day)
);
