-- The weekly analytics digest (issue 23): staff who may read the analytics choose in "Mi
-- cuenta" to receive, each Monday, the main figures of the week just finished.
ALTER TABLE staff_users ADD COLUMN weekly_digest BOOLEAN NOT NULL DEFAULT false;

-- Which week's digest was queued for whom: a row is written in the transaction that queues the
-- e-mail, and its key refuses a second one, so a week is sent once even when two workers run
-- the same round at once (the second insert waits for the first and then does nothing).
CREATE TABLE analytics_digests (
    staff_id   BIGINT NOT NULL REFERENCES staff_users (id) ON DELETE CASCADE,
    -- The Monday that starts the ISO week the digest covers.
    week_start DATE NOT NULL CHECK (extract(isodow FROM week_start) = 1),
    sent_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (staff_id, week_start)
);
