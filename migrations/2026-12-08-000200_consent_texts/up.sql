-- Every consent points at the exact words the person accepted (stored in full in
-- `legal_texts`), not only at a version label.
ALTER TABLE customer_consents ADD COLUMN text_id BIGINT REFERENCES legal_texts (id);
ALTER TABLE lead_consents ADD COLUMN text_id BIGINT REFERENCES legal_texts (id);
-- A landing's two consent texts as published (stored when the landing is saved).
ALTER TABLE landings ADD COLUMN privacy_text_id BIGINT REFERENCES legal_texts (id),
                     ADD COLUMN marketing_text_id BIGINT REFERENCES legal_texts (id);
CREATE INDEX customer_consents_text ON customer_consents (text_id);
CREATE INDEX lead_consents_text ON lead_consents (text_id);
-- Consent clauses are kept by purpose.
ALTER TABLE legal_texts DROP CONSTRAINT legal_texts_kind_check;
ALTER TABLE legal_texts ADD CONSTRAINT legal_texts_kind_check
    CHECK (kind IN ('precontract', 'privacy', 'marketing', 'profiling'));

-- The id of `body` as a legal text of `kind` and `version`, stored the first time it is seen
-- (the same rule as `distribution::legal_texts::store`).
CREATE FUNCTION legal_text_id(text_kind TEXT, text_version TEXT, body TEXT) RETURNS BIGINT
    LANGUAGE plpgsql AS $$
DECLARE
    digest TEXT := encode(sha256(convert_to(body, 'UTF8')), 'hex');
    found BIGINT;
BEGIN
    INSERT INTO legal_texts (kind, version, body, sha256)
    VALUES (text_kind, text_version, body, digest)
    ON CONFLICT (kind, sha256) DO NOTHING
    RETURNING id INTO found;
    IF found IS NULL THEN
        SELECT id INTO found FROM legal_texts WHERE kind = text_kind AND sha256 = digest;
    END IF;
    RETURN found;
END
$$;

-- Whatever writes a landing (the editor, the demo data, a future import), its consent texts
-- are stored as published, so each lead's consent points at the words on the page.
CREATE FUNCTION landings_store_consent_texts() RETURNS TRIGGER
    LANGUAGE plpgsql AS $$
BEGIN
    NEW.privacy_text_id := legal_text_id('privacy', NEW.consent_version, NEW.privacy_text);
    NEW.marketing_text_id := CASE WHEN btrim(NEW.marketing_text) = '' THEN NULL
        ELSE legal_text_id('marketing', NEW.consent_version, NEW.marketing_text) END;
    RETURN NEW;
END
$$;
CREATE TRIGGER landings_consent_texts
    BEFORE INSERT OR UPDATE OF privacy_text, marketing_text, consent_version ON landings
    FOR EACH ROW EXECUTE FUNCTION landings_store_consent_texts();
UPDATE landings SET consent_version = consent_version;

-- e-SORI records a client's marketing choice under the portal role, with its words.
GRANT INSERT ON legal_texts TO soriano_portal;
GRANT USAGE ON SEQUENCE legal_texts_id_seq TO soriano_portal;
