-- Single-use links sent by e-mail: invitations to set a first password (72 h) and password
-- resets (1 h). Only a SHA-256 of the token is stored.
CREATE TABLE staff_tokens (
    token_hash  TEXT PRIMARY KEY,
    staff_id    BIGINT NOT NULL REFERENCES staff_users (id) ON DELETE CASCADE,
    purpose     TEXT NOT NULL CHECK (purpose IN ('invitation', 'password_reset')),
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at  TIMESTAMPTZ NOT NULL,
    used_at     TIMESTAMPTZ
);
CREATE INDEX staff_tokens_staff_idx ON staff_tokens (staff_id, purpose, created_at DESC);

-- Generic fixed-window counters for rate limits that are not sign-ins (password reset
-- requests per IP and per address, later public forms).
CREATE TABLE rate_limit_hits (
    id      BIGSERIAL PRIMARY KEY,
    bucket  TEXT NOT NULL,
    key     TEXT NOT NULL,
    hit_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX rate_limit_hits_lookup_idx ON rate_limit_hits (bucket, key, hit_at DESC);
CREATE INDEX rate_limit_hits_time_idx ON rate_limit_hits (hit_at);

CREATE INDEX staff_users_name_idx ON staff_users (lower(name));
