-- Files a client attached to a form that came back with errors (a claim report without a
-- description): kept for the next submit of the same form instead of being lost. Each row is
-- named by a random token carried in a hidden field; row-level security keeps it to its
-- customer, and the housekeeping round deletes what nobody sent within a day.
CREATE TABLE pending_uploads (
    token TEXT PRIMARY KEY CHECK (length(token) BETWEEN 16 AND 100),
    customer_id BIGINT NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    filename TEXT NOT NULL,
    bytes BYTEA NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX pending_uploads_created_at ON pending_uploads (created_at);

GRANT SELECT, INSERT, DELETE ON pending_uploads TO soriano_portal;
ALTER TABLE pending_uploads ENABLE ROW LEVEL SECURITY;
CREATE POLICY portal_own ON pending_uploads TO soriano_portal
    USING (customer_id = portal_customer_id())
    WITH CHECK (customer_id = portal_customer_id());
