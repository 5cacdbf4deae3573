-- 0180_alert_notifications: the alert webhook's outbox (issue 10).
-- A post and the commit that records it cannot be one step: a process killed after the receiver
-- got the post but before mre.alert_states was written would, without this table, compute the
-- change again and post a new message. So each notification is committed here first, with an
-- idempotency key that travels in the payload and the Idempotency-Key header; after a post is
-- answered, sent_at and mre.alert_states are written in one transaction. A notification left
-- unsent (killed, or the receiver failed) is posted again by the next run, with the same key and
-- body, before anything new: delivery is at least once and in order, and a receiver that has
-- seen a key can drop the repeat.
CREATE TABLE mre.alert_notifications (
    notification_id  bigserial PRIMARY KEY,
    idempotency_key  text NOT NULL UNIQUE,
    payload          jsonb NOT NULL,       -- the body posted, byte-for-byte the same on every attempt
    states           jsonb NOT NULL,       -- {rule: [state, value, threshold]} this post tells
    created_at       timestamptz NOT NULL DEFAULT now(),
    attempts         integer NOT NULL DEFAULT 0,
    last_attempt_at  timestamptz,
    last_error       text,
    sent_at          timestamptz
);
CREATE INDEX alert_notifications_unsent ON mre.alert_notifications (notification_id) WHERE sent_at IS NULL;
