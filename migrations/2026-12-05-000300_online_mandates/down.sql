DROP POLICY portal_own ON form_submissions;
CREATE POLICY portal_own ON form_submissions TO soriano_portal
    USING (entity_id IS NULL
           OR (entity_type = 'claim'
               AND entity_id IN (SELECT id FROM claims WHERE customer_id = portal_customer_id())))
    WITH CHECK (entity_id IS NULL
           OR (entity_type = 'claim'
               AND entity_id IN (SELECT id FROM claims WHERE customer_id = portal_customer_id())));
REVOKE SELECT ON sepa_settings FROM soriano_portal;
DROP POLICY portal_own_update ON sepa_mandates;
DROP POLICY portal_own_insert ON sepa_mandates;
REVOKE USAGE ON SEQUENCE sepa_mandates_id_seq FROM soriano_portal;
REVOKE UPDATE (status, revoked_on, updated_at) ON sepa_mandates FROM soriano_portal;
REVOKE INSERT ON sepa_mandates FROM soriano_portal;
ALTER TABLE sepa_mandates
    DROP CONSTRAINT sepa_mandates_evidence_check,
    DROP COLUMN signed_by_client_user_id,
    DROP COLUMN signed_text,
    DROP COLUMN signed_text_version,
    DROP COLUMN signed_user_agent,
    DROP COLUMN signed_ip,
    DROP COLUMN signed_online_at;
ALTER TABLE sepa_mandates ALTER COLUMN document_id SET NOT NULL;
