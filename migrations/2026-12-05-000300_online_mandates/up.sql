-- A client signs their SEPA mandate online in e-SORI: the evidence is the exact text they were
-- shown (and its version), the moment, the address it came from and the account that signed,
-- instead of a scanned paper.
ALTER TABLE sepa_mandates
    ALTER COLUMN document_id DROP NOT NULL,
    ADD COLUMN signed_online_at     TIMESTAMPTZ,
    ADD COLUMN signed_ip            TEXT,
    ADD COLUMN signed_user_agent    TEXT,
    ADD COLUMN signed_text_version  TEXT,
    ADD COLUMN signed_text          TEXT,
    ADD COLUMN signed_by_client_user_id BIGINT REFERENCES client_users (id),
    ADD CONSTRAINT sepa_mandates_evidence_check CHECK (
        document_id IS NOT NULL
        OR (signed_online_at IS NOT NULL AND signed_ip IS NOT NULL
            AND signed_text IS NOT NULL AND signed_text_version IS NOT NULL
            AND signed_by_client_user_id IS NOT NULL)
    );

-- e-SORI writes the client's own mandate (row-level security keeps it to their rows) and reads
-- the creditor's identity to show it in the mandate text.
GRANT INSERT ON sepa_mandates TO soriano_portal;
GRANT UPDATE (status, revoked_on, updated_at) ON sepa_mandates TO soriano_portal;
GRANT USAGE ON SEQUENCE sepa_mandates_id_seq TO soriano_portal;
CREATE POLICY portal_own_insert ON sepa_mandates FOR INSERT TO soriano_portal
    WITH CHECK (customer_id = portal_customer_id() AND signed_online_at IS NOT NULL);
CREATE POLICY portal_own_update ON sepa_mandates FOR UPDATE TO soriano_portal
    USING (customer_id = portal_customer_id())
    WITH CHECK (customer_id = portal_customer_id());
GRANT SELECT ON sepa_settings TO soriano_portal;

-- The signing form is guarded against a double send by form_submissions: the portal may now
-- see a token attached to one of its own mandates, as it already could for its claims.
DROP POLICY portal_own ON form_submissions;
CREATE POLICY portal_own ON form_submissions TO soriano_portal
    USING (entity_id IS NULL
           OR (entity_type = 'claim'
               AND entity_id IN (SELECT id FROM claims WHERE customer_id = portal_customer_id()))
           OR (entity_type = 'sepa_mandate'
               AND entity_id IN (SELECT id FROM sepa_mandates WHERE customer_id = portal_customer_id())))
    WITH CHECK (entity_id IS NULL
           OR (entity_type = 'claim'
               AND entity_id IN (SELECT id FROM claims WHERE customer_id = portal_customer_id()))
           OR (entity_type = 'sepa_mandate'
               AND entity_id IN (SELECT id FROM sepa_mandates WHERE customer_id = portal_customer_id())));
