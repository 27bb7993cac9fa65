DROP POLICY IF EXISTS portal_own ON lead_submissions;
DROP POLICY IF EXISTS portal_own ON leads;
ALTER TABLE lead_submissions DISABLE ROW LEVEL SECURITY;
ALTER TABLE leads DISABLE ROW LEVEL SECURITY;
REVOKE SELECT (id, lead_id, payload, created_at) ON lead_submissions FROM soriano_portal;
REVOKE SELECT (id, customer_id, line_id, source, stage, created_at) ON leads FROM soriano_portal;
ALTER TABLE quotes DROP CONSTRAINT quotes_client_acceptance_check;
ALTER TABLE quotes DROP COLUMN client_accepted_option_id;
ALTER TABLE quotes DROP COLUMN client_accepted_at;
