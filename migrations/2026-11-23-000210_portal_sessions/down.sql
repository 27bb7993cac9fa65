REVOKE UPDATE (password_hash) ON client_users FROM soriano_portal;
DROP FUNCTION portal_end_sessions(TEXT);
