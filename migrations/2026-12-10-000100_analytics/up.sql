-- Analytics (issue 23): each report reads one range of dates; these indexes let it start
-- from that range instead of scanning the tables.

-- Periods of cover in force at a date or overlapping a range (portfolio, loss ratio) and
-- ending in a range (retention), with what those reports read, so the scan stays in the index.
CREATE INDEX policy_periods_end_idx
    ON policy_periods (end_date) INCLUDE (start_date, policy_id, total_premium_cents, net_premium_cents);
-- Periods starting in a range (new business); the first period of a policy is checked on the
-- unique (policy_id, start_date) index.
CREATE INDEX policy_periods_start_idx ON policy_periods (start_date) INCLUDE (policy_id, total_premium_cents);
-- Claims that happened in a range (loss ratio).
CREATE INDEX claims_incident_idx ON claims (incident_date);
-- Policies cancelled in a range (retention's cancellations by reason).
CREATE INDEX policies_cancelled_on_idx ON policies (status_changed_on) WHERE status = 'cancelled';
-- The quote a policy came from (new business by lead source).
CREATE INDEX quotes_policy_idx ON quotes (policy_id) WHERE policy_id IS NOT NULL;
