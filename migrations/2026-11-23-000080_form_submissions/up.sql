-- One-time tokens of forms that create records, so that a double submit (double click, reload
-- after POST, retry of a slow request) creates the record once. The token is inserted in the
-- same transaction as the record it created; a second submit with the same token finds the row
-- and is sent to that record instead of creating another.
CREATE TABLE form_submissions (
    token               TEXT PRIMARY KEY CHECK (length(token) BETWEEN 16 AND 100),
    created_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- What the submission created ('claim', ...), filled in the same transaction.
    entity_type         TEXT CHECK (entity_type ~ '^[a-z_]+$'),
    entity_id           BIGINT
);
CREATE INDEX form_submissions_created_idx ON form_submissions (created_at);
