DROP TABLE processing_activities;
DROP INDEX IF EXISTS leads_unconverted_idx;
ALTER TABLE leads DROP CONSTRAINT leads_contact_check,
    ADD CONSTRAINT leads_check CHECK (email IS NOT NULL OR phone IS NOT NULL);
ALTER TABLE leads DROP COLUMN anonymised_at;
DROP INDEX IF EXISTS sessions_created_idx;
DROP INDEX IF EXISTS outbound_emails_done_idx;
DROP INDEX IF EXISTS client_sign_ins_signed_in_idx;
DROP TABLE retention_runs;
DROP TABLE retention_rules;
