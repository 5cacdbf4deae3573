-- 0075_alert_states: what the alert webhook was last told, per rule (issue 10).
-- `mre health` and `mre sync` evaluate the rules each run and post to MRE_ALERT_WEBHOOK only
-- when a rule's state differs from notified_state, so a firing alert is sent once, not every run.
-- The row is written in the same transaction that holds the advisory lock around the post.
CREATE TABLE mre.alert_states (
    rule            text PRIMARY KEY,
    notified_state  text NOT NULL,        -- ok | firing
    notified_at     timestamptz NOT NULL DEFAULT now(),
    value           double precision,
    threshold       double precision
);
