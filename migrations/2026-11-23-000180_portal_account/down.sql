DROP POLICY IF EXISTS portal_own ON form_submissions;
ALTER TABLE form_submissions DISABLE ROW LEVEL SECURITY;
REVOKE ALL ON form_submissions FROM soriano_portal;
DROP POLICY IF EXISTS portal_own_insert ON document_blobs;
DROP POLICY IF EXISTS portal_own_insert ON documents;
DROP POLICY IF EXISTS portal_own_insert ON claims;
REVOKE INSERT ON claims, documents, document_blobs FROM soriano_portal;
REVOKE USAGE ON SEQUENCE claims_id_seq, documents_id_seq FROM soriano_portal;
DROP FUNCTION claims_team_emails();
DROP FUNCTION claim_number_last(TEXT);
DROP POLICY IF EXISTS portal_insert ON domain_events;
DROP POLICY IF EXISTS portal_ids ON domain_events;
ALTER TABLE domain_events DISABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS portal_insert ON outbound_emails;
DROP POLICY IF EXISTS portal_ids ON outbound_emails;
ALTER TABLE outbound_emails DISABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS portal_insert ON audit_log;
ALTER TABLE audit_log DISABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS portal_own_insert ON tasks;
DROP POLICY IF EXISTS portal_own ON tasks;
ALTER TABLE tasks DISABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS portal_own_insert ON claim_events;
DROP POLICY IF EXISTS portal_own_update ON claims;
DROP POLICY IF EXISTS portal_own_insert ON messages;
DROP POLICY IF EXISTS portal_own_insert ON message_threads;
DROP POLICY IF EXISTS portal_own_update ON message_threads;
DROP POLICY IF EXISTS portal_own_insert ON customer_consents;
DROP POLICY IF EXISTS portal_own ON client_tokens;
ALTER TABLE client_tokens DISABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS portal_own_update ON client_users;
DROP POLICY IF EXISTS portal_own_insert ON client_sign_ins;
DROP POLICY IF EXISTS portal_own_update ON customers;
REVOKE ALL ON domain_events, outbound_emails, audit_log, tasks, client_tokens FROM soriano_portal;
REVOKE INSERT ON client_sign_ins FROM soriano_portal;
REVOKE INSERT, UPDATE ON claim_events, claims, messages, message_threads, customer_consents,
    client_users, customers FROM soriano_portal;
REVOKE SELECT (active, role) ON staff_users FROM soriano_portal;
REVOKE USAGE ON SEQUENCE domain_events_id_seq, outbound_emails_id_seq, audit_log_id_seq,
    tasks_id_seq, claim_events_id_seq, message_threads_id_seq, messages_id_seq,
    customer_consents_id_seq, client_sign_ins_id_seq FROM soriano_portal;
DROP TABLE client_recovery_codes;
DROP FUNCTION portal_email_taken(TEXT);
ALTER TABLE client_users
    DROP CONSTRAINT client_users_totp_enabled_check,
    DROP CONSTRAINT client_users_pending_email_pair_check,
    DROP COLUMN pending_email_requested_at,
    DROP COLUMN pending_email;
