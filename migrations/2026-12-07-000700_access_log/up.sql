-- Who looked at whose personal data (RGPD art. 5.1.f and 32; LOPDGDD): every view of a
-- customer's record, every document download and every export by staff, with when and from
-- where. The data-protection roles read it by customer and by staff member; a client reads
-- who looked at theirs in e-SORI.
CREATE TABLE access_log (
    id          BIGSERIAL PRIMARY KEY,
    at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    staff_id    BIGINT NOT NULL REFERENCES staff_users (id),
    -- NULL for an export of a list (many customers at once).
    customer_id BIGINT REFERENCES customers (id) ON DELETE SET NULL,
    action      TEXT NOT NULL CHECK (action IN (
                    'customer_viewed', 'document_downloaded', 'exported')),
    subject     TEXT NOT NULL CHECK (length(subject) BETWEEN 1 AND 300),
    ip          TEXT NOT NULL DEFAULT '' CHECK (length(ip) <= 64),
    user_agent  TEXT NOT NULL DEFAULT '' CHECK (length(user_agent) <= 300)
);
CREATE INDEX access_log_customer_idx ON access_log (customer_id, at DESC, id DESC)
    WHERE customer_id IS NOT NULL;
CREATE INDEX access_log_staff_idx ON access_log (staff_id, at DESC, id DESC);
CREATE INDEX access_log_at_idx ON access_log (at, id);

-- e-SORI: a client reads the entries about them (never the staff's address or browser).
GRANT SELECT (id, at, staff_id, customer_id, action, subject) ON access_log TO soriano_portal;
ALTER TABLE access_log ENABLE ROW LEVEL SECURITY;
CREATE POLICY portal_own ON access_log FOR SELECT TO soriano_portal
    USING (customer_id = portal_customer_id());

-- The log is kept two years by default, then purged with the rest of the schedule.
ALTER TABLE retention_rules DROP CONSTRAINT retention_rules_category_check,
    ADD CONSTRAINT retention_rules_category_check CHECK (category IN (
        'unconverted_leads', 'form_tokens', 'rate_limit_hits', 'login_attempts', 'sessions',
        'sign_in_history', 'used_tokens', 'outbox_emails', 'access_log'));
INSERT INTO retention_rules (category, period_days) VALUES ('access_log', 730);
