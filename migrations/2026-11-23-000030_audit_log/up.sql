-- The security audit log: who did what, to what, when and from where. Append-only, and the
-- database itself enforces it: rows can be inserted and read, never changed or removed, not
-- even by the superuser the embedded cluster connects as (triggers fire for every role).
-- `details` is free-form JSON so that business records can later store before/after values.

-- Trigram indexes make the "actor contains ..." filter of the admin page indexable. pg_trgm
-- ships with PostgreSQL (contrib) and is a trusted extension: a database owner may create it.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE audit_log (
    id              BIGSERIAL PRIMARY KEY,
    occurred_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- NULL for actions of nobody signed in (a failed sign-in) or of the system.
    actor_staff_id  BIGINT REFERENCES staff_users (id),
    -- Who it was as text, kept even if the account changes: the staff e-mail, the e-mail typed
    -- on a failed sign-in, or "sistema".
    actor_label     TEXT NOT NULL CHECK (length(actor_label) BETWEEN 1 AND 320),
    action          TEXT NOT NULL CHECK (action ~ '^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$'),
    target_type     TEXT CHECK (target_type ~ '^[a-z][a-z0-9_]*$'),
    target_id       BIGINT,
    ip              TEXT,
    user_agent      TEXT,
    details         JSONB NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(details) = 'object'),
    CHECK (target_id IS NULL OR target_type IS NOT NULL)
);

-- The page lists newest first with keyset pagination on id; date ranges use occurred_at.
CREATE INDEX audit_log_occurred_idx ON audit_log (occurred_at DESC, id DESC);
CREATE INDEX audit_log_action_idx ON audit_log (action, id DESC);
CREATE INDEX audit_log_actor_idx ON audit_log (actor_staff_id, id DESC) WHERE actor_staff_id IS NOT NULL;
CREATE INDEX audit_log_actor_label_trgm_idx ON audit_log USING gin (actor_label gin_trgm_ops);
CREATE INDEX audit_log_target_idx ON audit_log (target_type, target_id, id DESC) WHERE target_type IS NOT NULL;

CREATE FUNCTION audit_log_is_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only: % is not allowed', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER audit_log_no_update_or_delete
    BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_is_append_only();

CREATE TRIGGER audit_log_no_truncate
    BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_is_append_only();

-- Roles other than the owner get no way to change rows either (defence in depth: a
-- reporting role granted SELECT later must not inherit more).
REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM PUBLIC;
