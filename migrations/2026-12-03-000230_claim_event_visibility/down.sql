DROP POLICY portal_own_insert ON claim_events;
CREATE POLICY portal_own_insert ON claim_events FOR INSERT TO soriano_portal
    WITH CHECK (staff_id IS NULL
                AND claim_id IN (SELECT id FROM claims WHERE customer_id = portal_customer_id()));
DROP POLICY portal_own ON claim_events;
CREATE POLICY portal_own ON claim_events FOR SELECT TO soriano_portal
    USING (claim_id IN (SELECT id FROM claims WHERE customer_id = portal_customer_id()));
ALTER TABLE claim_events DROP COLUMN visible_to_client;
