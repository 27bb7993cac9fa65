-- Sign-in attempts, for throttling per e-mail and per IP (see src/auth/throttle.rs). Rows
-- older than a day are deleted; the audit log keeps the lasting record.
CREATE TABLE login_attempts (
    id              BIGSERIAL PRIMARY KEY,
    email           TEXT NOT NULL,
    ip              TEXT NOT NULL,
    succeeded       BOOLEAN NOT NULL,
    attempted_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX login_attempts_email_idx ON login_attempts (email, attempted_at DESC);
CREATE INDEX login_attempts_ip_idx ON login_attempts (ip, attempted_at DESC) WHERE NOT succeeded;
CREATE INDEX login_attempts_time_idx ON login_attempts (attempted_at);

-- The session list of "Mi cuenta" needs a stable, non-secret id and where it came from.
ALTER TABLE sessions ADD COLUMN id BIGSERIAL UNIQUE;
ALTER TABLE sessions ADD COLUMN ip TEXT;
ALTER TABLE sessions ADD COLUMN user_agent TEXT;
