-- Leads, quotes and the domain-event outbox: shared by the back-office, the landings, the taxi
-- quoter and the client portal, so they are defined once here.

-- Domain events (outbox): written in the same transaction as the change they describe and
-- consumed later by workflows (a task, an e-mail). `processed_at` is set by the consumer.
CREATE TABLE domain_events (
    id                  BIGSERIAL PRIMARY KEY,
    kind                TEXT NOT NULL CHECK (kind ~ '^[a-z_]+\.[a-z_]+$'),
    entity_type         TEXT NOT NULL CHECK (entity_type ~ '^[a-z_]+$'),
    entity_id           BIGINT NOT NULL,
    payload             JSONB NOT NULL DEFAULT '{}',
    created_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    processed_at        TIMESTAMPTZ
);
CREATE INDEX domain_events_pending_idx ON domain_events (id) WHERE processed_at IS NULL;
CREATE INDEX domain_events_entity_idx ON domain_events (entity_type, entity_id, id);

-- A prospect from a landing, a web form, the taxi quoter, the portal, a call or a referral.
CREATE TABLE leads (
    id                  BIGSERIAL PRIMARY KEY,
    full_name           TEXT NOT NULL CHECK (length(full_name) BETWEEN 1 AND 200),
    email               TEXT CHECK (email = lower(email)),
    -- Nine digits, no prefix or spaces.
    phone               TEXT CHECK (phone ~ '^[6789][0-9]{8}$'),
    postcode            TEXT CHECK (postcode ~ '^(0[1-9]|[1-4][0-9]|5[0-2])[0-9]{3}$'),
    tax_id              TEXT,
    line_id             BIGINT REFERENCES lines_of_business (id),
    source              TEXT NOT NULL
                        CHECK (source IN ('landing', 'web_form', 'taxi', 'portal', 'phone', 'referral', 'campaign')),
    campaign            TEXT,
    utm_source          TEXT,
    utm_medium          TEXT,
    utm_campaign        TEXT,
    utm_term            TEXT,
    utm_content         TEXT,
    referrer            TEXT,
    -- Filled by the landings feature (foreign keys added with its tables).
    landing_id          BIGINT,
    landing_variant_id  BIGINT,
    stage               TEXT NOT NULL DEFAULT 'new'
                        CHECK (stage IN ('new', 'contacted', 'qualified', 'proposal', 'negotiation', 'won', 'lost')),
    lost_reason         TEXT,
    score               INT NOT NULL DEFAULT 0,
    assigned_staff_id   BIGINT REFERENCES staff_users (id),
    -- The customer this lead became (or was linked to) when won.
    customer_id         BIGINT REFERENCES customers (id),
    next_action_on      DATE,
    notes               TEXT NOT NULL DEFAULT '',
    first_contacted_at  TIMESTAMPTZ,
    converted_at        TIMESTAMPTZ,
    created_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK (email IS NOT NULL OR phone IS NOT NULL),
    CHECK (stage <> 'lost' OR lost_reason IS NOT NULL)
);
CREATE INDEX leads_stage_idx ON leads (stage, created_at DESC, id DESC);
CREATE INDEX leads_assigned_idx ON leads (assigned_staff_id, stage, created_at DESC);
CREATE INDEX leads_created_idx ON leads (created_at DESC, id DESC);
CREATE INDEX leads_source_idx ON leads (source, created_at DESC);
CREATE INDEX leads_email_idx ON leads (email, created_at DESC) WHERE email IS NOT NULL;
CREATE INDEX leads_phone_idx ON leads (phone, created_at DESC) WHERE phone IS NOT NULL;
CREATE INDEX leads_customer_idx ON leads (customer_id) WHERE customer_id IS NOT NULL;

-- Every form sent for a lead (the first one and repeats by the same person), as submitted.
CREATE TABLE lead_submissions (
    id                  BIGSERIAL PRIMARY KEY,
    lead_id             BIGINT NOT NULL REFERENCES leads (id),
    -- One-time token of the form: a double submit finds the row instead of adding another.
    form_token          TEXT UNIQUE,
    payload             JSONB NOT NULL DEFAULT '{}',
    utm_source          TEXT,
    utm_medium          TEXT,
    utm_campaign        TEXT,
    utm_term            TEXT,
    utm_content         TEXT,
    referrer            TEXT,
    landing_id          BIGINT,
    landing_variant_id  BIGINT,
    ip                  TEXT,
    user_agent          TEXT,
    created_at          TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX lead_submissions_lead_idx ON lead_submissions (lead_id, created_at DESC);

-- RGPD consents given on a lead's forms, with the text version, time and IP.
CREATE TABLE lead_consents (
    id                  BIGSERIAL PRIMARY KEY,
    lead_id             BIGINT NOT NULL REFERENCES leads (id),
    submission_id       BIGINT REFERENCES lead_submissions (id),
    purpose             TEXT NOT NULL CHECK (purpose IN ('privacy', 'marketing', 'profiling')),
    granted             BOOLEAN NOT NULL,
    text_version        TEXT NOT NULL,
    ip                  TEXT,
    recorded_at         TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX lead_consents_lead_idx ON lead_consents (lead_id, purpose, recorded_at DESC);

CREATE SEQUENCE quote_number_seq;

-- A priced offer for a customer or a prospect (a lead, or just a name), before it becomes a
-- policy. One option per carrier; the chosen one is issued as the policy on acceptance.
CREATE TABLE quotes (
    id                  BIGSERIAL PRIMARY KEY,
    number              TEXT NOT NULL UNIQUE DEFAULT (
                            'PRE-' || to_char(now() AT TIME ZONE 'Europe/Madrid', 'YYYY') || '-'
                            || lpad(nextval('quote_number_seq')::text, 6, '0')),
    customer_id         BIGINT REFERENCES customers (id),
    lead_id             BIGINT REFERENCES leads (id),
    prospect_name       TEXT,
    prospect_email      TEXT,
    prospect_phone      TEXT,
    line_id             BIGINT NOT NULL REFERENCES lines_of_business (id),
    -- Insured risk, validated per line by the application (same shape as policies.risk).
    risk                JSONB NOT NULL DEFAULT '{}',
    -- Demands and needs of the client (IDD / RDL 3/2020): what was asked for and the use.
    demands_and_needs   JSONB NOT NULL DEFAULT '{}',
    status              TEXT NOT NULL DEFAULT 'draft'
                        CHECK (status IN ('draft', 'sent', 'accepted', 'rejected', 'expired')),
    valid_until         DATE NOT NULL,
    -- Foreign key added below, once quote_options exists.
    chosen_option_id    BIGINT,
    -- The policy issued from this quote on acceptance.
    policy_id           BIGINT REFERENCES policies (id),
    source              TEXT NOT NULL DEFAULT 'backoffice'
                        CHECK (source IN ('backoffice', 'taxi', 'portal', 'landing')),
    agent_staff_id      BIGINT REFERENCES staff_users (id),
    created_by_staff_id BIGINT REFERENCES staff_users (id),
    status_reason       TEXT,
    sent_at             TIMESTAMPTZ,
    decided_at          TIMESTAMPTZ,
    -- Public link for the client: the token travels only in the link; this is its SHA-256.
    public_token_hash   TEXT UNIQUE,
    public_token_expires_at TIMESTAMPTZ,
    -- Pre-contract information shown before the request (version of the text and when).
    precontract_text_version TEXT,
    precontract_shown_at TIMESTAMPTZ,
    notes               TEXT NOT NULL DEFAULT '',
    created_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK (customer_id IS NOT NULL OR lead_id IS NOT NULL OR prospect_name IS NOT NULL),
    CHECK (status <> 'accepted' OR chosen_option_id IS NOT NULL)
);
CREATE INDEX quotes_customer_idx ON quotes (customer_id, created_at DESC) WHERE customer_id IS NOT NULL;
CREATE INDEX quotes_lead_idx ON quotes (lead_id, created_at DESC) WHERE lead_id IS NOT NULL;
CREATE INDEX quotes_status_idx ON quotes (status, created_at DESC, id DESC);
CREATE INDEX quotes_agent_status_idx ON quotes (agent_staff_id, status, created_at DESC);
CREATE INDEX quotes_created_idx ON quotes (created_at DESC, id DESC);
CREATE INDEX quotes_valid_until_idx ON quotes (valid_until) WHERE status IN ('draft', 'sent');
CREATE INDEX quotes_source_idx ON quotes (source, created_at DESC);

CREATE TABLE quote_options (
    id                  BIGSERIAL PRIMARY KEY,
    quote_id            BIGINT NOT NULL REFERENCES quotes (id),
    carrier_id          BIGINT NOT NULL REFERENCES carriers (id),
    product_id          BIGINT REFERENCES products (id),
    -- e.g. 'third_party', 'third_party_extended', 'comprehensive' for taxi; free for others.
    coverage_level      TEXT NOT NULL DEFAULT '',
    coverage_summary    TEXT NOT NULL DEFAULT '',
    net_premium_cents   BIGINT NOT NULL CHECK (net_premium_cents >= 0),
    total_premium_cents BIGINT NOT NULL CHECK (total_premium_cents >= net_premium_cents),
    -- Full explanation of the price (rating engine lines), kept as given.
    breakdown           JSONB NOT NULL DEFAULT '{}',
    -- The tariff version that priced this option (taxi quoter); foreign key added with tariffs.
    tariff_version_id   BIGINT,
    -- Whether this option meets the stated demands and needs.
    fits_demands        BOOLEAN NOT NULL DEFAULT false,
    position            INT NOT NULL DEFAULT 0,
    created_at          TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX quote_options_quote_idx ON quote_options (quote_id, position, id);

ALTER TABLE quotes ADD CONSTRAINT quotes_chosen_option_fkey
    FOREIGN KEY (chosen_option_id) REFERENCES quote_options (id);
