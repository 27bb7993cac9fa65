-- e-SORI account security: a pending e-mail change, client recovery codes for the optional
-- second factor, and row-level security on the portal's writes.

-- A new address does not count until the link sent to it is used (client_tokens,
-- purpose 'email_change', whose new_email column carries the address the link confirms).
ALTER TABLE client_users
    ADD COLUMN pending_email              TEXT CHECK (pending_email = lower(pending_email)),
    ADD COLUMN pending_email_requested_at TIMESTAMPTZ,
    ADD CONSTRAINT client_users_pending_email_pair_check
        CHECK ((pending_email IS NULL) = (pending_email_requested_at IS NULL)),
    ADD CONSTRAINT client_users_totp_enabled_check
        CHECK ((totp_enabled_at IS NULL) = (totp_secret IS NULL));

-- Whether another client account signs in with `address`. The portal
-- role sees its own account only, so this one answer comes from a SECURITY DEFINER function
-- that returns a boolean and nothing else about the other account.
CREATE FUNCTION portal_email_taken(address TEXT) RETURNS BOOLEAN
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path FROM CURRENT
    AS $$ SELECT EXISTS (SELECT 1 FROM client_users
                         WHERE email = lower(address)
                           AND customer_id IS DISTINCT FROM portal_customer_id()) $$;
REVOKE ALL ON FUNCTION portal_email_taken(TEXT) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION portal_email_taken(TEXT) TO soriano_portal;

-- Single-use recovery codes of a client's second factor; only a SHA-256 of each is kept
-- (same scheme as staff_recovery_codes, see src/auth/totp.rs).
CREATE TABLE client_recovery_codes (
    id              BIGSERIAL PRIMARY KEY,
    client_user_id  BIGINT NOT NULL REFERENCES client_users (id) ON DELETE CASCADE,
    code_hash       TEXT NOT NULL,
    used_at         TIMESTAMPTZ,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX client_recovery_codes_user_code_key
    ON client_recovery_codes (client_user_id, code_hash);

-- ---------------------------------------------------------------------------------------
-- Row-level security on writes. Portal writes now run like its reads: `SET LOCAL ROLE
-- soriano_portal` with `soriano.customer_id` set (Db::portal_transaction). Each client-owned
-- table gets the privilege the portal needs and a policy whose WITH CHECK ties the new row to
-- portal_customer_id(), so a write for another customer fails and an update of another
-- customer's row matches nothing, whatever the query forgot.
--
-- Tables that are not client-owned but that a portal write must append to (the audit log,
-- the outbox, domain events, staff tasks) get INSERT only, with a policy that narrows what
-- the portal may append; where the application reads back the new id (INSERT ... RETURNING)
-- the role may SELECT the id column only, never the content. This is simpler than SECURITY
-- DEFINER wrappers (no second code path for the same insert, the shared Rust helpers stay as
-- they are) and as sound: the role still cannot read or change anything there. Where a
-- portal write needs one fact beyond the customer's rows (is an address taken, the year's last
-- claim number, the claims team's addresses), a SECURITY DEFINER function answers exactly
-- that and nothing more.
--
-- Still run as the application, on purpose: the steps before any customer is known (password
-- sign-in, the sign-in throttle, registration, reset and password links, the guard that loads
-- the signed-in account, looking up whose an e-mail change link is).
-- ---------------------------------------------------------------------------------------

-- Mis datos: phone, address and (once confirmed) e-mail of the customer record.
GRANT UPDATE (phone, address_line, postcode, city, province, email, updated_at)
    ON customers TO soriano_portal;
CREATE POLICY portal_own_update ON customers FOR UPDATE TO soriano_portal
    USING (id = portal_customer_id())
    WITH CHECK (id = portal_customer_id());

-- The account: login e-mail, pending e-mail, second factor, last sign-in.
GRANT UPDATE (email, pending_email, pending_email_requested_at, email_confirmed_at,
              totp_secret, totp_enabled_at, totp_last_step, last_login_at)
    ON client_users TO soriano_portal;
CREATE POLICY portal_own_update ON client_users FOR UPDATE TO soriano_portal
    USING (customer_id = portal_customer_id())
    WITH CHECK (customer_id = portal_customer_id());

-- "Últimos accesos": the sign-in that just passed every step.
GRANT INSERT ON client_sign_ins TO soriano_portal;
GRANT USAGE ON SEQUENCE client_sign_ins_id_seq TO soriano_portal;
CREATE POLICY portal_own_insert ON client_sign_ins FOR INSERT TO soriano_portal
    WITH CHECK (client_user_id IN (SELECT id FROM client_users WHERE customer_id = portal_customer_id()));

-- E-mailed links of the account (the e-mail change link is issued by the signed-in client).
GRANT SELECT, INSERT, UPDATE ON client_tokens TO soriano_portal;
ALTER TABLE client_tokens ENABLE ROW LEVEL SECURITY;
CREATE POLICY portal_own ON client_tokens TO soriano_portal
    USING (client_user_id IN (SELECT id FROM client_users WHERE customer_id = portal_customer_id()))
    WITH CHECK (client_user_id IN (SELECT id FROM client_users WHERE customer_id = portal_customer_id()));

GRANT SELECT, INSERT, UPDATE, DELETE ON client_recovery_codes TO soriano_portal;
GRANT USAGE ON SEQUENCE client_recovery_codes_id_seq TO soriano_portal;
ALTER TABLE client_recovery_codes ENABLE ROW LEVEL SECURITY;
CREATE POLICY portal_own ON client_recovery_codes TO soriano_portal
    USING (client_user_id IN (SELECT id FROM client_users WHERE customer_id = portal_customer_id()))
    WITH CHECK (client_user_id IN (SELECT id FROM client_users WHERE customer_id = portal_customer_id()));

-- Marketing consent: a new row each time (history kept).
GRANT INSERT ON customer_consents TO soriano_portal;
GRANT USAGE ON SEQUENCE customer_consents_id_seq TO soriano_portal;
CREATE POLICY portal_own_insert ON customer_consents FOR INSERT TO soriano_portal
    WITH CHECK (customer_id = portal_customer_id());

-- Messages: a new thread, a message, the unread counters and last message time.
GRANT INSERT ON message_threads, messages TO soriano_portal;
GRANT UPDATE (last_message_at, unread_by_client, unread_by_staff) ON message_threads TO soriano_portal;
GRANT USAGE ON SEQUENCE message_threads_id_seq, messages_id_seq TO soriano_portal;
CREATE POLICY portal_own_insert ON message_threads FOR INSERT TO soriano_portal
    WITH CHECK (customer_id = portal_customer_id());
CREATE POLICY portal_own_update ON message_threads FOR UPDATE TO soriano_portal
    USING (customer_id = portal_customer_id())
    WITH CHECK (customer_id = portal_customer_id());
-- A client writes as the client only, in a thread of their own.
CREATE POLICY portal_own_insert ON messages FOR INSERT TO soriano_portal
    WITH CHECK (customer_id = portal_customer_id() AND author = 'client' AND staff_id IS NULL
                AND thread_id IN (SELECT id FROM message_threads
                                  WHERE customer_id = portal_customer_id()));

-- Information added to a claim: a timeline entry without staff author, and the claim's
-- updated_at.
GRANT UPDATE (updated_at) ON claims TO soriano_portal;
CREATE POLICY portal_own_update ON claims FOR UPDATE TO soriano_portal
    USING (customer_id = portal_customer_id())
    WITH CHECK (customer_id = portal_customer_id());
GRANT INSERT ON claim_events TO soriano_portal;
GRANT USAGE ON SEQUENCE claim_events_id_seq TO soriano_portal;
CREATE POLICY portal_own_insert ON claim_events FOR INSERT TO soriano_portal
    WITH CHECK (staff_id IS NULL
                AND claim_id IN (SELECT id FROM claims WHERE customer_id = portal_customer_id()));

-- A claim reported online: the claim (open, unassigned, on one of the customer's own
-- policies), its photos and documents (client uploads, visible to the client), the
-- idempotency row of the form.
GRANT INSERT ON claims TO soriano_portal;
GRANT USAGE ON SEQUENCE claims_id_seq TO soriano_portal;
CREATE POLICY portal_own_insert ON claims FOR INSERT TO soriano_portal
    WITH CHECK (customer_id = portal_customer_id() AND handler_staff_id IS NULL
                AND status = 'open'
                AND policy_id IN (SELECT id FROM policies WHERE customer_id = portal_customer_id()));
GRANT INSERT ON documents, document_blobs TO soriano_portal;
GRANT USAGE ON SEQUENCE documents_id_seq TO soriano_portal;
CREATE POLICY portal_own_insert ON documents FOR INSERT TO soriano_portal
    WITH CHECK (customer_id = portal_customer_id() AND uploaded_by_staff_id IS NULL
                AND visible_to_client AND entity_type = 'claim'
                AND entity_id IN (SELECT id FROM claims WHERE customer_id = portal_customer_id()));
CREATE POLICY portal_own_insert ON document_blobs FOR INSERT TO soriano_portal
    WITH CHECK (document_id IN (SELECT id FROM documents
                                WHERE customer_id = portal_customer_id() AND visible_to_client));
-- form_submissions is keyed by an unguessable per-form token; the portal sees a row only
-- while it is unattached or attached to one of the customer's own claims.
GRANT SELECT, INSERT ON form_submissions TO soriano_portal;
GRANT UPDATE (entity_type, entity_id) ON form_submissions TO soriano_portal;
ALTER TABLE form_submissions ENABLE ROW LEVEL SECURITY;
CREATE POLICY portal_own ON form_submissions TO soriano_portal
    USING (entity_id IS NULL
           OR (entity_type = 'claim'
               AND entity_id IN (SELECT id FROM claims WHERE customer_id = portal_customer_id())))
    WITH CHECK (entity_id IS NULL
           OR (entity_type = 'claim'
               AND entity_id IN (SELECT id FROM claims WHERE customer_id = portal_customer_id())));
-- Claim numbers are `max + 1` per year over ALL claims, which the role cannot see: this
-- function returns the year's last number and nothing else (the numbering of
-- claims::commands::next_number, for staff and portal alike).
CREATE FUNCTION claim_number_last(prefix TEXT) RETURNS TEXT
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path FROM CURRENT
    AS $$ SELECT max(number) FROM claims
          WHERE number LIKE prefix || '%' AND length(number) = length(prefix) + 6 $$;
REVOKE ALL ON FUNCTION claim_number_last(TEXT) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION claim_number_last(TEXT) TO soriano_portal;
-- The claims team is told of a new claim by e-mail: their addresses only, never the rest
-- of staff_users.
CREATE FUNCTION claims_team_emails() RETURNS SETOF TEXT
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path FROM CURRENT
    AS $$ SELECT email FROM staff_users WHERE role = 'claims' AND active ORDER BY id LIMIT 50 $$;
REVOKE ALL ON FUNCTION claims_team_emails() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION claims_team_emails() TO soriano_portal;

-- The erasure request: a task about the customer for their agent (or an admin), who is
-- chosen among active staff: the role may read whether a staff member is active and their
-- role (never e-mails or hashes). It may read back the new task's id only.
GRANT SELECT (active, role) ON staff_users TO soriano_portal;
GRANT INSERT ON tasks TO soriano_portal;
GRANT SELECT (id) ON tasks TO soriano_portal;
GRANT USAGE ON SEQUENCE tasks_id_seq TO soriano_portal;
ALTER TABLE tasks ENABLE ROW LEVEL SECURITY;
CREATE POLICY portal_own_insert ON tasks FOR INSERT TO soriano_portal
    WITH CHECK (customer_id = portal_customer_id() AND entity_type = 'customer'
                AND entity_id = portal_customer_id() AND created_by_staff_id IS NULL
                AND status = 'open');
CREATE POLICY portal_own ON tasks FOR SELECT TO soriano_portal
    USING (customer_id = portal_customer_id());

-- The audit log: a client's entries never claim a staff actor. Append-only already (trigger).
GRANT INSERT ON audit_log TO soriano_portal;
GRANT USAGE ON SEQUENCE audit_log_id_seq TO soriano_portal;
ALTER TABLE audit_log ENABLE ROW LEVEL SECURITY;
CREATE POLICY portal_insert ON audit_log FOR INSERT TO soriano_portal
    WITH CHECK (actor_staff_id IS NULL);

-- The outbox: the portal queues fresh e-mails only (its workers' columns stay untouched);
-- the id is read back by mail::enqueue, nothing else.
GRANT INSERT (kind, to_address, subject, body_text, body_html) ON outbound_emails TO soriano_portal;
GRANT SELECT (id) ON outbound_emails TO soriano_portal;
GRANT USAGE ON SEQUENCE outbound_emails_id_seq TO soriano_portal;
ALTER TABLE outbound_emails ENABLE ROW LEVEL SECURITY;
CREATE POLICY portal_insert ON outbound_emails FOR INSERT TO soriano_portal
    WITH CHECK (kind LIKE 'client.%' OR kind LIKE 'claim.%');
CREATE POLICY portal_ids ON outbound_emails FOR SELECT TO soriano_portal USING (true);

-- Domain events: unprocessed ones only; the id is read back by events::publish.
GRANT INSERT (kind, entity_type, entity_id, payload) ON domain_events TO soriano_portal;
GRANT SELECT (id) ON domain_events TO soriano_portal;
GRANT USAGE ON SEQUENCE domain_events_id_seq TO soriano_portal;
ALTER TABLE domain_events ENABLE ROW LEVEL SECURITY;
CREATE POLICY portal_insert ON domain_events FOR INSERT TO soriano_portal
    WITH CHECK (processed_at IS NULL);
CREATE POLICY portal_ids ON domain_events FOR SELECT TO soriano_portal USING (true);
