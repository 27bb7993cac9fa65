ALTER TABLE outbound_emails DROP COLUMN list_unsubscribe;
DROP TABLE policy_renewal_terms;
DROP TABLE automation_runs;
DROP TABLE automation_rules;
DROP TABLE email_templates;
DROP INDEX domain_events_parked_idx;
ALTER TABLE domain_events DROP COLUMN depth, DROP COLUMN attempts, DROP COLUMN next_attempt_at,
    DROP COLUMN last_error, DROP COLUMN parked_at;
