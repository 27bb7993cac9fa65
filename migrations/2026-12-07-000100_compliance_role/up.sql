-- The customer service department and data protection officer: a role of its own, kept
-- apart from selling (Orden ECO/734/2004), the only one that sees blocked data.
ALTER TABLE staff_users DROP CONSTRAINT staff_users_role_check;
ALTER TABLE staff_users ADD CONSTRAINT staff_users_role_check
    CHECK (role IN ('admin', 'supervisor', 'agent', 'claims', 'compliance'));
