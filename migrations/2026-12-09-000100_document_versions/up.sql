-- Documents have versions and a delivery record; the PDFs the brokerage generates are documents
-- too (issue 21).
--
-- A series is every version of one document: `series_id` is the id of its first version (set by
-- the trigger below when a row starts a series). The current version is the one not superseded;
-- a new version never rewrites an old one: who made it, when and why stay on each row.

-- Complaints and carrier settlements have documents too (the acknowledgement, the answer, the
-- statement). Those of a prospect's quote, a complaint from someone who is no customer, or a
-- settlement belong to no customer; a customer's, policy's or claim's always do.
ALTER TABLE documents DROP CONSTRAINT documents_entity_type_check;
ALTER TABLE documents ADD CONSTRAINT documents_entity_type_check
    CHECK (entity_type IN ('customer', 'policy', 'claim', 'quote', 'complaint', 'settlement'));
ALTER TABLE documents ALTER COLUMN customer_id DROP NOT NULL;
ALTER TABLE documents ADD CONSTRAINT documents_customer_known
    CHECK (customer_id IS NOT NULL OR entity_type IN ('quote', 'complaint', 'settlement'));

ALTER TABLE documents
    -- What a generated document is ('quote', 'policy_certificate', ...); NULL for uploaded files.
    ADD COLUMN kind TEXT,
    -- Within a record, what the document is about when a record has several of a kind
    -- (the receipt of a policy: its receipt id).
    ADD COLUMN subject_key TEXT,
    ADD COLUMN series_id BIGINT REFERENCES documents (id),
    ADD COLUMN version INT NOT NULL DEFAULT 1 CHECK (version >= 1),
    ADD COLUMN superseded_at TIMESTAMPTZ,
    -- The layout that wrote a generated document ("presupuesto-2026-12"): with the data of the
    -- record, it reproduces the text.
    ADD COLUMN template_version TEXT,
    -- Why this version exists ("Prima corregida", "Enviado al cliente").
    ADD COLUMN version_note TEXT;

UPDATE documents SET series_id = id;
ALTER TABLE documents ALTER COLUMN series_id SET NOT NULL;

CREATE FUNCTION documents_start_series() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.series_id := COALESCE(NEW.series_id, NEW.id);
    RETURN NEW;
END
$$;
CREATE TRIGGER documents_start_series BEFORE INSERT ON documents
    FOR EACH ROW EXECUTE FUNCTION documents_start_series();

CREATE UNIQUE INDEX documents_series_version ON documents (series_id, version);
-- One current version per series: two concurrent "new version" requests cannot both win.
CREATE UNIQUE INDEX documents_series_current ON documents (series_id) WHERE superseded_at IS NULL;
-- The current generated document of a kind on a record.
CREATE INDEX documents_current_generated ON documents (entity_type, entity_id, kind)
    WHERE kind IS NOT NULL AND superseded_at IS NULL;

-- Each time a document went to someone: by e-mail (the outbox row says whether it left) or
-- published in e-SORI.
CREATE TABLE document_deliveries (
    id BIGSERIAL PRIMARY KEY,
    document_id BIGINT NOT NULL REFERENCES documents (id),
    channel TEXT NOT NULL CHECK (channel IN ('email', 'portal')),
    to_address TEXT NOT NULL,
    outbox_id BIGINT REFERENCES outbound_emails (id),
    sent_by_staff_id BIGINT REFERENCES staff_users (id),
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX document_deliveries_document ON document_deliveries (document_id, id);

-- An e-mail may carry one stored document as an attachment (read when it is sent).
ALTER TABLE outbound_emails ADD COLUMN attachment_document_id BIGINT REFERENCES documents (id);
