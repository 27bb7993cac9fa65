DROP INDEX IF EXISTS quotes_policy_idx;
DROP INDEX IF EXISTS policies_cancelled_on_idx;
DROP INDEX IF EXISTS claims_incident_idx;
DROP INDEX IF EXISTS policy_periods_start_idx;
DROP INDEX IF EXISTS policy_periods_end_idx;
