ALTER TABLE outbound_emails DROP COLUMN attachment_document_id;
DROP TABLE document_deliveries;
DROP TRIGGER documents_start_series ON documents;
DROP FUNCTION documents_start_series();
DROP INDEX documents_current_generated;
DROP INDEX documents_series_current;
DROP INDEX documents_series_version;
ALTER TABLE documents
    DROP COLUMN version_note,
    DROP COLUMN template_version,
    DROP COLUMN superseded_at,
    DROP COLUMN version,
    DROP COLUMN series_id,
    DROP COLUMN subject_key,
    DROP COLUMN kind;
DELETE FROM document_blobs WHERE document_id IN (
    SELECT id FROM documents WHERE customer_id IS NULL OR entity_type IN ('complaint', 'settlement'));
DELETE FROM documents WHERE customer_id IS NULL OR entity_type IN ('complaint', 'settlement');
ALTER TABLE documents DROP CONSTRAINT documents_customer_known;
ALTER TABLE documents ALTER COLUMN customer_id SET NOT NULL;
ALTER TABLE documents DROP CONSTRAINT documents_entity_type_check;
ALTER TABLE documents ADD CONSTRAINT documents_entity_type_check
    CHECK (entity_type IN ('customer', 'policy', 'claim', 'quote'));
