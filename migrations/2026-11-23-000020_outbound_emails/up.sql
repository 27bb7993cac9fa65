-- The e-mail outbox. A row is written in the same transaction as the change that causes the
-- e-mail (src/mail/mod.rs, `enqueue`), and the worker (src/mail/worker.rs) delivers it later,
-- so a rolled-back change sends nothing and a committed one is never lost to an SMTP outage.
CREATE TABLE outbound_emails (
    id              BIGSERIAL PRIMARY KEY,
    kind            TEXT NOT NULL CHECK (length(kind) BETWEEN 1 AND 100),
    to_address      TEXT NOT NULL,
    subject         TEXT NOT NULL,
    body_text       TEXT NOT NULL,
    body_html       TEXT NOT NULL,
    status          TEXT NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'sending', 'sent', 'failed')),
    -- Delivery attempts started (counted when a worker claims the row).
    attempts        INT NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- While 'sending': after this instant the claim is stale (worker died) and may be re-taken.
    locked_until    TIMESTAMPTZ,
    last_error      TEXT,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    sent_at         TIMESTAMPTZ
);

-- The worker's claim scans undelivered rows in id order; sent and failed rows, the vast
-- majority, stay out of this index.
CREATE INDEX outbound_emails_claim_idx ON outbound_emails (id)
    WHERE status IN ('pending', 'sending');
-- The admin list filtered by status, newest first, keyset on id.
CREATE INDEX outbound_emails_status_idx ON outbound_emails (status, id DESC);
