DROP TABLE analytics_digests;
ALTER TABLE staff_users DROP COLUMN weekly_digest;
