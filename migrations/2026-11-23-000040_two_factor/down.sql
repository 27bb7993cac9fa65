DROP TABLE security_settings;
DROP TABLE staff_recovery_codes;
ALTER TABLE staff_users
    DROP CONSTRAINT staff_users_totp_enabled_check,
    DROP COLUMN totp_last_step,
    DROP COLUMN totp_enabled_at,
    DROP COLUMN totp_secret;
