-- A request that shares an e-mail or phone with an open lead of another person (or of another
-- line of business) is a lead of its own, pointing at the other one for the agent to check.
ALTER TABLE leads ADD COLUMN possible_duplicate_of BIGINT REFERENCES leads (id) ON DELETE SET NULL;
CREATE INDEX leads_possible_duplicate_idx ON leads (possible_duplicate_of)
    WHERE possible_duplicate_of IS NOT NULL;
