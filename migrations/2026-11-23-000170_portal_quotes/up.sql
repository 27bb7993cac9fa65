-- e-SORI "Presupuestos": a client accepts one option of a quote the broker sent. The policy is
-- still issued by staff (the back-office "Aceptar"), so the client's answer is kept apart from
-- the quote's status: when and which option. The chosen option is also written to
-- quotes.chosen_option_id, which the back-office acceptance takes as its default.
ALTER TABLE quotes ADD COLUMN client_accepted_at TIMESTAMPTZ;
ALTER TABLE quotes ADD COLUMN client_accepted_option_id BIGINT REFERENCES quote_options (id);
ALTER TABLE quotes ADD CONSTRAINT quotes_client_acceptance_check
    CHECK ((client_accepted_at IS NULL) = (client_accepted_option_id IS NULL));

-- The client's own quote requests (leads from e-SORI, linked to the customer) are read under
-- the portal role: only the columns the portal shows (never the agent's notes, lost reason or
-- tracking data), and only the rows of the customer set for the transaction.
GRANT SELECT (id, customer_id, line_id, source, stage, created_at) ON leads TO soriano_portal;
GRANT SELECT (id, lead_id, payload, created_at) ON lead_submissions TO soriano_portal;

ALTER TABLE leads ENABLE ROW LEVEL SECURITY;
CREATE POLICY portal_own ON leads FOR SELECT TO soriano_portal
    USING (customer_id = portal_customer_id());

ALTER TABLE lead_submissions ENABLE ROW LEVEL SECURITY;
CREATE POLICY portal_own ON lead_submissions FOR SELECT TO soriano_portal
    USING (lead_id IN (SELECT id FROM leads WHERE customer_id = portal_customer_id()));
