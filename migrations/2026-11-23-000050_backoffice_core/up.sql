-- The back-office core: customers (with RGPD consents and interactions), policies (with their
-- periods and endorsements), claims (with their timeline) and tasks.
-- States are stored as English codes; the UI shows the Spanish words of DOMAIN.md.

CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE customers (
    id                  BIGSERIAL PRIMARY KEY,
    kind                TEXT NOT NULL CHECK (kind IN ('person', 'company')),
    -- DNI/NIE (persons) or CIF (companies), normalised: upper case, no spaces or dashes.
    tax_id              TEXT NOT NULL CHECK (tax_id ~ '^[0-9XYZA-W][0-9]{7}[0-9A-Z]$'),
    given_name          TEXT,
    family_name         TEXT,
    company_name        TEXT,
    -- "Apellidos, Nombre" or the company name: what lists show, sort and search.
    display_name        TEXT NOT NULL CHECK (length(display_name) BETWEEN 1 AND 200),
    email               TEXT CHECK (email = lower(email)),
    -- Nine digits, no prefix or spaces.
    phone               TEXT CHECK (phone ~ '^[6789][0-9]{8}$'),
    birth_date          DATE,
    address_line        TEXT,
    postcode            TEXT CHECK (postcode ~ '^(0[1-9]|[1-4][0-9]|5[0-2])[0-9]{3}$'),
    city                TEXT,
    province            TEXT,
    iban                TEXT CHECK (iban ~ '^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$'),
    segment             TEXT NOT NULL DEFAULT 'individual'
                        CHECK (segment IN ('individual', 'self_employed', 'small_business', 'corporate')),
    tags                TEXT[] NOT NULL DEFAULT '{}',
    owner_staff_id      BIGINT REFERENCES staff_users (id),
    notes               TEXT NOT NULL DEFAULT '',
    -- Set when this record was merged into another; merged records are kept for history.
    merged_into_id      BIGINT REFERENCES customers (id),
    created_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK ((kind = 'person' AND given_name IS NOT NULL AND family_name IS NOT NULL)
        OR (kind = 'company' AND company_name IS NOT NULL))
);
CREATE UNIQUE INDEX customers_tax_id_key ON customers (tax_id) WHERE merged_into_id IS NULL;
CREATE INDEX customers_display_name_idx ON customers (lower(display_name), id) WHERE merged_into_id IS NULL;
CREATE INDEX customers_display_name_trgm_idx ON customers USING gin (lower(display_name) gin_trgm_ops);
CREATE INDEX customers_email_idx ON customers (email) WHERE email IS NOT NULL;
CREATE INDEX customers_phone_idx ON customers (phone) WHERE phone IS NOT NULL;
CREATE INDEX customers_owner_idx ON customers (owner_staff_id, lower(display_name), id) WHERE merged_into_id IS NULL;
CREATE INDEX customers_created_idx ON customers (created_at DESC, id DESC);
CREATE INDEX customers_segment_idx ON customers (segment, lower(display_name), id);
CREATE INDEX customers_province_idx ON customers (province);

CREATE TABLE customer_consents (
    id                  BIGSERIAL PRIMARY KEY,
    customer_id         BIGINT NOT NULL REFERENCES customers (id),
    purpose             TEXT NOT NULL CHECK (purpose IN ('privacy', 'marketing', 'profiling')),
    granted             BOOLEAN NOT NULL,
    text_version        TEXT NOT NULL,
    source              TEXT NOT NULL,
    recorded_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    recorded_by_staff_id BIGINT REFERENCES staff_users (id)
);
CREATE INDEX customer_consents_customer_idx ON customer_consents (customer_id, purpose, recorded_at DESC);

CREATE TABLE interactions (
    id                  BIGSERIAL PRIMARY KEY,
    customer_id         BIGINT NOT NULL REFERENCES customers (id),
    kind                TEXT NOT NULL CHECK (kind IN ('call', 'email', 'whatsapp', 'meeting', 'note')),
    summary             TEXT NOT NULL CHECK (length(summary) BETWEEN 1 AND 4000),
    occurred_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    staff_id            BIGINT NOT NULL REFERENCES staff_users (id),
    created_at          TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX interactions_customer_idx ON interactions (customer_id, occurred_at DESC);

CREATE TABLE policies (
    id                  BIGSERIAL PRIMARY KEY,
    customer_id         BIGINT NOT NULL REFERENCES customers (id),
    carrier_id          BIGINT NOT NULL REFERENCES carriers (id),
    product_id          BIGINT NOT NULL REFERENCES products (id),
    line_id             BIGINT NOT NULL REFERENCES lines_of_business (id),
    number              TEXT NOT NULL CHECK (length(number) BETWEEN 1 AND 40),
    status              TEXT NOT NULL DEFAULT 'active'
                        CHECK (status IN ('active', 'suspended', 'cancelled', 'expired')),
    -- Insured risk, validated per line by the application (vehicle, home, persons).
    risk                JSONB NOT NULL DEFAULT '{}',
    start_date          DATE NOT NULL,
    end_date            DATE NOT NULL,
    net_premium_cents   BIGINT NOT NULL CHECK (net_premium_cents >= 0),
    total_premium_cents BIGINT NOT NULL CHECK (total_premium_cents >= net_premium_cents),
    payment_frequency   TEXT NOT NULL CHECK (payment_frequency IN ('annual', 'semiannual', 'quarterly', 'monthly')),
    agent_staff_id      BIGINT REFERENCES staff_users (id),
    status_reason       TEXT,
    status_changed_on   DATE,
    created_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (carrier_id, number),
    CHECK (end_date > start_date)
);
CREATE INDEX policies_customer_idx ON policies (customer_id, start_date DESC);
CREATE INDEX policies_number_idx ON policies (number);
CREATE INDEX policies_carrier_status_idx ON policies (carrier_id, status, id);
CREATE INDEX policies_line_status_idx ON policies (line_id, status, id);
CREATE INDEX policies_agent_status_idx ON policies (agent_staff_id, status, id);
CREATE INDEX policies_expiring_idx ON policies (end_date, id) WHERE status = 'active';

-- Each coverage period of a policy: the first one and every renewal, with its own premium.
CREATE TABLE policy_periods (
    id                  BIGSERIAL PRIMARY KEY,
    policy_id           BIGINT NOT NULL REFERENCES policies (id),
    start_date          DATE NOT NULL,
    end_date            DATE NOT NULL,
    net_premium_cents   BIGINT NOT NULL CHECK (net_premium_cents >= 0),
    total_premium_cents BIGINT NOT NULL CHECK (total_premium_cents >= net_premium_cents),
    created_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    created_by_staff_id BIGINT REFERENCES staff_users (id),
    CHECK (end_date > start_date),
    UNIQUE (policy_id, start_date)
);

-- Suplementos: changes to a live policy from an effective date.
CREATE TABLE policy_endorsements (
    id                  BIGSERIAL PRIMARY KEY,
    policy_id           BIGINT NOT NULL REFERENCES policies (id),
    effective_date      DATE NOT NULL,
    description         TEXT NOT NULL CHECK (length(description) BETWEEN 1 AND 2000),
    premium_change_cents BIGINT NOT NULL DEFAULT 0,
    created_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    created_by_staff_id BIGINT REFERENCES staff_users (id)
);
CREATE INDEX policy_endorsements_policy_idx ON policy_endorsements (policy_id, effective_date DESC);

CREATE TABLE claims (
    id                  BIGSERIAL PRIMARY KEY,
    number              TEXT NOT NULL UNIQUE,
    policy_id           BIGINT NOT NULL REFERENCES policies (id),
    customer_id         BIGINT NOT NULL REFERENCES customers (id),
    incident_date       DATE NOT NULL,
    kind                TEXT NOT NULL CHECK (length(kind) BETWEEN 1 AND 60),
    description         TEXT NOT NULL CHECK (length(description) BETWEEN 1 AND 8000),
    place               TEXT NOT NULL DEFAULT '',
    status              TEXT NOT NULL DEFAULT 'open'
                        CHECK (status IN ('open', 'in_progress', 'assessed', 'accepted', 'rejected', 'paid', 'closed')),
    claimed_cents       BIGINT CHECK (claimed_cents >= 0),
    accepted_cents      BIGINT CHECK (accepted_cents >= 0),
    paid_cents          BIGINT CHECK (paid_cents >= 0),
    handler_staff_id    BIGINT REFERENCES staff_users (id),
    opened_at           TIMESTAMPTZ NOT NULL DEFAULT now(),
    closed_at           TIMESTAMPTZ,
    updated_at          TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX claims_policy_idx ON claims (policy_id, opened_at DESC);
CREATE INDEX claims_customer_idx ON claims (customer_id, opened_at DESC);
CREATE INDEX claims_queue_idx ON claims (handler_staff_id, opened_at) WHERE status NOT IN ('paid', 'closed', 'rejected');
CREATE INDEX claims_status_idx ON claims (status, opened_at);

-- The timeline of a claim: status changes (with their reason) and notes.
CREATE TABLE claim_events (
    id                  BIGSERIAL PRIMARY KEY,
    claim_id            BIGINT NOT NULL REFERENCES claims (id),
    occurred_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    staff_id            BIGINT REFERENCES staff_users (id),
    from_status         TEXT,
    to_status           TEXT,
    note                TEXT NOT NULL DEFAULT ''
);
CREATE INDEX claim_events_claim_idx ON claim_events (claim_id, occurred_at);

CREATE TABLE tasks (
    id                  BIGSERIAL PRIMARY KEY,
    title               TEXT NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    description         TEXT NOT NULL DEFAULT '',
    due_date            DATE,
    priority            TEXT NOT NULL DEFAULT 'normal' CHECK (priority IN ('low', 'normal', 'high')),
    status              TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'done')),
    assignee_staff_id   BIGINT NOT NULL REFERENCES staff_users (id),
    -- What the task is about: any record ('customer', 'policy', 'claim', ...) and, for the
    -- customer's timeline, the customer it belongs to.
    entity_type         TEXT CHECK (entity_type ~ '^[a-z_]+$'),
    entity_id           BIGINT,
    customer_id         BIGINT REFERENCES customers (id),
    created_by_staff_id BIGINT REFERENCES staff_users (id),
    created_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    completed_at        TIMESTAMPTZ,
    CHECK ((entity_type IS NULL) = (entity_id IS NULL))
);
CREATE INDEX tasks_assignee_idx ON tasks (assignee_staff_id, status, due_date NULLS LAST, id);
CREATE INDEX tasks_customer_idx ON tasks (customer_id, created_at DESC) WHERE customer_id IS NOT NULL;
CREATE INDEX tasks_entity_idx ON tasks (entity_type, entity_id);
