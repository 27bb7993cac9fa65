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
DROP TABLE complaint_events;
DROP TABLE complaints;
DROP TABLE complaint_counters;
DROP TABLE complaint_settings;
