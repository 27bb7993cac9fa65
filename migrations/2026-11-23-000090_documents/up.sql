-- Files attached to a customer, policy, claim or quote. The bytes live in PostgreSQL
-- (document_blobs) behind the storage interface of src/documents: one backup, written in the
-- same transaction as their metadata, and our files (PDFs, photos of up to 10 MB) are well
-- within what bytea handles. An S3-compatible store can replace it behind the same interface.
CREATE TABLE documents (
    id                      BIGSERIAL PRIMARY KEY,
    entity_type             TEXT NOT NULL CHECK (entity_type IN ('customer', 'policy', 'claim', 'quote')),
    entity_id               BIGINT NOT NULL,
    -- The customer the record belongs to: scoping for agents and, later, the client portal.
    customer_id             BIGINT NOT NULL REFERENCES customers (id),
    filename                TEXT NOT NULL CHECK (length(filename) BETWEEN 1 AND 200),
    content_type            TEXT NOT NULL,
    size_bytes              BIGINT NOT NULL CHECK (size_bytes > 0),
    sha256                  TEXT NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    visible_to_client       BOOLEAN NOT NULL DEFAULT FALSE,
    uploaded_by_staff_id    BIGINT REFERENCES staff_users (id),
    uploaded_at             TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX documents_entity_idx ON documents (entity_type, entity_id, uploaded_at DESC);
CREATE INDEX documents_customer_idx ON documents (customer_id, uploaded_at DESC);

CREATE TABLE document_blobs (
    document_id     BIGINT PRIMARY KEY REFERENCES documents (id) ON DELETE CASCADE,
    bytes           BYTEA NOT NULL
);
