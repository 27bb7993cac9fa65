-- DROP TABLE is not UPDATE, DELETE or TRUNCATE: the triggers go with the table.
DROP TABLE audit_log;
DROP FUNCTION audit_log_is_append_only();
-- pg_trgm stays: other tables may come to rely on it.
