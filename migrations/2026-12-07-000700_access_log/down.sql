DELETE FROM retention_rules WHERE category = 'access_log';
ALTER TABLE retention_rules DROP CONSTRAINT retention_rules_category_check,
    ADD CONSTRAINT retention_rules_category_check CHECK (category IN (
        'unconverted_leads', 'form_tokens', 'rate_limit_hits', 'login_attempts', 'sessions',
        'sign_in_history', 'used_tokens', 'outbox_emails'));
DROP TABLE access_log;
