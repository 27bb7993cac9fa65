-- The register of data-protection rights requests (RGPD arts. 15 to 22): access,
-- rectification, erasure, restriction, portability and objection, each with the month the
-- brokerage has to answer (art. 12.3; two more when it is complex, telling the person) and
-- how it was resolved.
CREATE TABLE privacy_requests (
    id                  BIGSERIAL PRIMARY KEY,
    customer_id         BIGINT REFERENCES customers (id),
    requester_name      TEXT NOT NULL CHECK (length(requester_name) BETWEEN 1 AND 200),
    kind                TEXT NOT NULL CHECK (kind IN (
                            'access', 'rectification', 'erasure', 'restriction', 'portability',
                            'objection')),
    channel             TEXT NOT NULL CHECK (channel IN (
                            'portal', 'email', 'letter', 'phone', 'in_person')),
    details             TEXT NOT NULL DEFAULT '' CHECK (length(details) <= 4000),
    received_on         DATE NOT NULL,
    due_on              DATE NOT NULL CHECK (due_on >= received_on),
    extended            BOOLEAN NOT NULL DEFAULT false,
    status              TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'done', 'refused')),
    resolution          TEXT CHECK (length(resolution) <= 4000),
    closed_at           TIMESTAMPTZ,
    closed_by_staff_id  BIGINT REFERENCES staff_users (id),
    created_by_staff_id BIGINT REFERENCES staff_users (id),
    created_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK ((status = 'open') = (closed_at IS NULL)),
    CHECK (status = 'open' OR resolution IS NOT NULL)
);
CREATE INDEX privacy_requests_open_idx ON privacy_requests (due_on, id) WHERE status = 'open';
CREATE INDEX privacy_requests_received_idx ON privacy_requests (received_on DESC, id DESC);
CREATE INDEX privacy_requests_customer_idx ON privacy_requests (customer_id)
    WHERE customer_id IS NOT NULL;

-- e-SORI: a client files requests about themselves and follows them.
GRANT SELECT, INSERT ON privacy_requests TO soriano_portal;
GRANT USAGE ON SEQUENCE privacy_requests_id_seq TO soriano_portal;
ALTER TABLE privacy_requests ENABLE ROW LEVEL SECURITY;
CREATE POLICY portal_own ON privacy_requests FOR SELECT TO soriano_portal
    USING (customer_id = portal_customer_id());
CREATE POLICY portal_own_insert ON privacy_requests FOR INSERT TO soriano_portal
    WITH CHECK (customer_id = portal_customer_id() AND channel = 'portal' AND status = 'open'
                AND created_by_staff_id IS NULL);
