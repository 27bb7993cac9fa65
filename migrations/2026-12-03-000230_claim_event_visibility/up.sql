-- A claim's timeline notes are internal unless the staff member ticks "visible para el
-- cliente". Notes written so far were never meant for the client: they become internal, except
-- what the client wrote (no staff author) and the automatic opening entry.
ALTER TABLE claim_events ADD COLUMN visible_to_client BOOLEAN NOT NULL DEFAULT FALSE;
UPDATE claim_events SET visible_to_client = TRUE
 WHERE staff_id IS NULL OR note = 'Siniestro abierto.';

-- The portal role never reads an internal entry that is only a note; an internal state change
-- stays readable for its state (the portal's query blanks its note).
DROP POLICY portal_own ON claim_events;
CREATE POLICY portal_own ON claim_events FOR SELECT TO soriano_portal
    USING (claim_id IN (SELECT id FROM claims WHERE customer_id = portal_customer_id())
           AND (visible_to_client OR to_status IS NOT NULL));

-- What a client adds is theirs to read.
DROP POLICY portal_own_insert ON claim_events;
CREATE POLICY portal_own_insert ON claim_events FOR INSERT TO soriano_portal
    WITH CHECK (staff_id IS NULL AND visible_to_client
                AND claim_id IN (SELECT id FROM claims WHERE customer_id = portal_customer_id()));
