REVOKE INSERT ON legal_texts FROM soriano_portal;
REVOKE USAGE ON SEQUENCE legal_texts_id_seq FROM soriano_portal;
DROP TRIGGER landings_consent_texts ON landings;
DROP FUNCTION landings_store_consent_texts();
DROP FUNCTION legal_text_id(TEXT, TEXT, TEXT);
ALTER TABLE legal_texts DROP CONSTRAINT legal_texts_kind_check;
ALTER TABLE legal_texts ADD CONSTRAINT legal_texts_kind_check
    CHECK (kind IN ('precontract', 'privacy', 'marketing'));
ALTER TABLE landings DROP COLUMN privacy_text_id, DROP COLUMN marketing_text_id;
ALTER TABLE lead_consents DROP COLUMN text_id;
ALTER TABLE customer_consents DROP COLUMN text_id;
