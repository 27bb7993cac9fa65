-- Staff accounts of the back-office and the server-side session store shared by every face.

CREATE TABLE staff_users (
    id              BIGSERIAL PRIMARY KEY,
    email           TEXT NOT NULL CHECK (email = lower(email) AND email LIKE '%_@_%'),
    name            TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 120),
    role            TEXT NOT NULL CHECK (role IN ('admin', 'supervisor', 'agent', 'claims')),
    password_hash   TEXT NOT NULL,
    active          BOOLEAN NOT NULL DEFAULT TRUE,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_login_at   TIMESTAMPTZ
);
CREATE UNIQUE INDEX staff_users_email_key ON staff_users (email);

-- actix-session state. The primary key is a SHA-256 of the cookie's session key, so a leaked
-- table does not hand out live sessions. user_id lets "end all sessions of a user" be one
-- statement.
CREATE TABLE sessions (
    key_hash    TEXT PRIMARY KEY,
    user_id     BIGINT REFERENCES staff_users (id) ON DELETE CASCADE,
    state       JSONB NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX sessions_user_idx ON sessions (user_id) WHERE user_id IS NOT NULL;
CREATE INDEX sessions_expires_idx ON sessions (expires_at);
