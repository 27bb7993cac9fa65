-- Two-factor authentication (TOTP, RFC 6238) for staff, its recovery codes, and the policy
-- that can require it of everyone (see src/auth/totp.rs).

-- totp_secret is the base32 shared secret, set only once enrolment is confirmed (the secret
-- being enrolled lives in the server-side session until then). totp_last_step is the last
-- accepted time step: a code of that step or an earlier one is refused, so a code observed
-- over a shoulder or in a proxy log cannot be replayed.
ALTER TABLE staff_users
    ADD COLUMN totp_secret      TEXT,
    ADD COLUMN totp_enabled_at  TIMESTAMPTZ,
    ADD COLUMN totp_last_step   BIGINT,
    ADD CONSTRAINT staff_users_totp_enabled_check
        CHECK ((totp_enabled_at IS NULL) = (totp_secret IS NULL));

-- Single-use recovery codes; only a SHA-256 of each is kept.
CREATE TABLE staff_recovery_codes (
    id          BIGSERIAL PRIMARY KEY,
    staff_id    BIGINT NOT NULL REFERENCES staff_users (id) ON DELETE CASCADE,
    code_hash   TEXT NOT NULL,
    used_at     TIMESTAMPTZ,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX staff_recovery_codes_staff_code_key
    ON staff_recovery_codes (staff_id, code_hash);

-- Site-wide security settings: exactly one row.
CREATE TABLE security_settings (
    id                  INT PRIMARY KEY CHECK (id = 1),
    require_two_factor  BOOLEAN NOT NULL DEFAULT FALSE,
    updated_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_by          BIGINT REFERENCES staff_users (id) ON DELETE SET NULL
);
INSERT INTO security_settings (id) VALUES (1);
