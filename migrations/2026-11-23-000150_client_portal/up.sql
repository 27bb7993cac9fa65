-- e-SORI, the clients' portal: client accounts (one per customer), their e-mailed links,
-- sessions, sign-in history, message threads with the brokerage, and the row-level security
-- that isolates one client's rows from another's a second time, below the application.

CREATE TABLE client_users (
    id                  BIGSERIAL PRIMARY KEY,
    customer_id         BIGINT NOT NULL UNIQUE REFERENCES customers (id),
    email               TEXT NOT NULL CHECK (email = lower(email) AND email LIKE '%_@_%'),
    -- NULL until the client chooses a password through an invitation or registration link.
    password_hash       TEXT,
    active              BOOLEAN NOT NULL DEFAULT TRUE,
    email_confirmed_at  TIMESTAMPTZ,
    totp_secret         TEXT,
    totp_enabled_at     TIMESTAMPTZ,
    totp_last_step      BIGINT,
    invited_by_staff_id BIGINT REFERENCES staff_users (id),
    created_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_login_at       TIMESTAMPTZ
);
CREATE UNIQUE INDEX client_users_email_key ON client_users (email);

-- Single-use links: invitation (72 h), registration confirmation (72 h), password reset (1 h)
-- and confirmation of a new e-mail address. Only a SHA-256 of the token is stored.
CREATE TABLE client_tokens (
    token_hash      TEXT PRIMARY KEY,
    client_user_id  BIGINT NOT NULL REFERENCES client_users (id) ON DELETE CASCADE,
    purpose         TEXT NOT NULL
                    CHECK (purpose IN ('invitation', 'registration', 'password_reset', 'email_change')),
    new_email       TEXT CHECK (new_email = lower(new_email)),
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at      TIMESTAMPTZ NOT NULL,
    used_at         TIMESTAMPTZ
);
CREATE INDEX client_tokens_user_idx ON client_tokens (client_user_id, purpose, created_at DESC);

-- Client sessions share the session table with staff ones, told apart by `kind`: staff
-- sessions keep their foreign key to staff_users, client sessions point to client_users, and
-- each face's store only ever loads its own kind.
ALTER TABLE sessions ADD COLUMN kind TEXT NOT NULL DEFAULT 'staff' CHECK (kind IN ('staff', 'client'));
ALTER TABLE sessions ADD COLUMN client_user_id BIGINT REFERENCES client_users (id) ON DELETE CASCADE;
ALTER TABLE sessions ADD CONSTRAINT sessions_owner_kind_check
    CHECK ((kind = 'staff' AND client_user_id IS NULL) OR (kind = 'client' AND user_id IS NULL));
CREATE INDEX sessions_client_user_idx ON sessions (client_user_id) WHERE client_user_id IS NOT NULL;

-- "Últimos accesos": every successful client sign-in.
CREATE TABLE client_sign_ins (
    id              BIGSERIAL PRIMARY KEY,
    client_user_id  BIGINT NOT NULL REFERENCES client_users (id) ON DELETE CASCADE,
    ip              TEXT,
    user_agent      TEXT,
    signed_in_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX client_sign_ins_user_idx ON client_sign_ins (client_user_id, signed_in_at DESC);

-- Conversations between a client and the brokerage.
CREATE TABLE message_threads (
    id                  BIGSERIAL PRIMARY KEY,
    customer_id         BIGINT NOT NULL REFERENCES customers (id),
    subject             TEXT NOT NULL CHECK (length(subject) BETWEEN 1 AND 200),
    created_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_message_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- Unread counters, kept with each message so the inbox lists need no aggregate.
    unread_by_client    INT NOT NULL DEFAULT 0 CHECK (unread_by_client >= 0),
    unread_by_staff     INT NOT NULL DEFAULT 0 CHECK (unread_by_staff >= 0)
);
CREATE INDEX message_threads_customer_idx ON message_threads (customer_id, last_message_at DESC, id DESC);
CREATE INDEX message_threads_inbox_idx ON message_threads (last_message_at DESC, id DESC);

CREATE TABLE messages (
    id              BIGSERIAL PRIMARY KEY,
    thread_id       BIGINT NOT NULL REFERENCES message_threads (id) ON DELETE CASCADE,
    -- Copied from the thread so the row-level policy needs no join.
    customer_id     BIGINT NOT NULL REFERENCES customers (id),
    author          TEXT NOT NULL CHECK (author IN ('client', 'staff')),
    staff_id        BIGINT REFERENCES staff_users (id),
    body            TEXT NOT NULL CHECK (length(body) BETWEEN 1 AND 5000),
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK ((author = 'staff') = (staff_id IS NOT NULL))
);
CREATE INDEX messages_thread_idx ON messages (thread_id, created_at, id);

-- Row-level security. Portal requests run `SET LOCAL ROLE soriano_portal` and set
-- `soriano.customer_id` for their transaction; the policies below then show that customer's
-- rows only, whatever the query forgets to filter. The owner (the app's own role, and the
-- superuser of tests) is not subject to RLS, so the back-office is unaffected.
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'soriano_portal') THEN
        CREATE ROLE soriano_portal NOLOGIN;
    END IF;
END
$$;
DO $$
BEGIN
    EXECUTE format('GRANT soriano_portal TO %I', current_user);
EXCEPTION WHEN OTHERS THEN
    -- Superusers need no membership to SET ROLE; the role's creator already has it.
    NULL;
END
$$;

CREATE FUNCTION portal_customer_id() RETURNS BIGINT
    LANGUAGE sql STABLE
    AS $$ SELECT NULLIF(current_setting('soriano.customer_id', true), '')::bigint $$;

GRANT EXECUTE ON FUNCTION portal_customer_id() TO soriano_portal;
GRANT SELECT ON customers, policies, claims, claim_events, documents, document_blobs, quotes,
    quote_options, customer_consents, message_threads, messages, client_users, client_sign_ins,
    carriers, products, lines_of_business TO soriano_portal;
-- Staff names only (a claim's handler, who answered a message): never e-mails or hashes.
GRANT SELECT (id, name) ON staff_users TO soriano_portal;

ALTER TABLE customers ENABLE ROW LEVEL SECURITY;
CREATE POLICY portal_own ON customers FOR SELECT TO soriano_portal
    USING (id = portal_customer_id());

ALTER TABLE policies ENABLE ROW LEVEL SECURITY;
CREATE POLICY portal_own ON policies FOR SELECT TO soriano_portal
    USING (customer_id = portal_customer_id());

ALTER TABLE claims ENABLE ROW LEVEL SECURITY;
CREATE POLICY portal_own ON claims FOR SELECT TO soriano_portal
    USING (customer_id = portal_customer_id());

ALTER TABLE claim_events ENABLE ROW LEVEL SECURITY;
CREATE POLICY portal_own ON claim_events FOR SELECT TO soriano_portal
    USING (claim_id IN (SELECT id FROM claims WHERE customer_id = portal_customer_id()));

-- Clients see only the documents the broker marked visible.
ALTER TABLE documents ENABLE ROW LEVEL SECURITY;
CREATE POLICY portal_own ON documents FOR SELECT TO soriano_portal
    USING (customer_id = portal_customer_id() AND visible_to_client);

ALTER TABLE document_blobs ENABLE ROW LEVEL SECURITY;
CREATE POLICY portal_own ON document_blobs FOR SELECT TO soriano_portal
    USING (document_id IN (SELECT id FROM documents
                           WHERE customer_id = portal_customer_id() AND visible_to_client));

ALTER TABLE quotes ENABLE ROW LEVEL SECURITY;
CREATE POLICY portal_own ON quotes FOR SELECT TO soriano_portal
    USING (customer_id = portal_customer_id());

ALTER TABLE quote_options ENABLE ROW LEVEL SECURITY;
CREATE POLICY portal_own ON quote_options FOR SELECT TO soriano_portal
    USING (quote_id IN (SELECT id FROM quotes WHERE customer_id = portal_customer_id()));

ALTER TABLE customer_consents ENABLE ROW LEVEL SECURITY;
CREATE POLICY portal_own ON customer_consents FOR SELECT TO soriano_portal
    USING (customer_id = portal_customer_id());

ALTER TABLE message_threads ENABLE ROW LEVEL SECURITY;
CREATE POLICY portal_own ON message_threads FOR SELECT TO soriano_portal
    USING (customer_id = portal_customer_id());

ALTER TABLE messages ENABLE ROW LEVEL SECURITY;
CREATE POLICY portal_own ON messages FOR SELECT TO soriano_portal
    USING (customer_id = portal_customer_id());

ALTER TABLE client_users ENABLE ROW LEVEL SECURITY;
CREATE POLICY portal_own ON client_users FOR SELECT TO soriano_portal
    USING (customer_id = portal_customer_id());

ALTER TABLE client_sign_ins ENABLE ROW LEVEL SECURITY;
CREATE POLICY portal_own ON client_sign_ins FOR SELECT TO soriano_portal
    USING (client_user_id IN (SELECT id FROM client_users WHERE customer_id = portal_customer_id()));
