-- Landing pages with A/B variants, their daily visit/conversion counters, blog posts and the
-- configuration of automatic lead assignment. Leads and their submissions point back at the
-- landing and variant they came from.

CREATE TABLE landings (
    id                  BIGSERIAL PRIMARY KEY,
    slug                TEXT NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$' AND length(slug) <= 80),
    title               TEXT NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    meta_description    TEXT NOT NULL DEFAULT '',
    line_id             BIGINT REFERENCES lines_of_business (id),
    campaign            TEXT,
    -- The form: [{name, label, kind, required, options}] validated by the application.
    form_fields         JSONB NOT NULL DEFAULT '[]',
    privacy_text        TEXT NOT NULL,
    marketing_text      TEXT NOT NULL DEFAULT '',
    -- Version of both consent texts, stored with every consent given on this landing.
    consent_version     TEXT NOT NULL CHECK (length(consent_version) BETWEEN 1 AND 40),
    published           BOOLEAN NOT NULL DEFAULT false,
    published_at        TIMESTAMPTZ,
    created_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at          TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX landings_updated_idx ON landings (updated_at DESC, id DESC);

-- One version of a landing's content; visitors are split among the variants by weight.
CREATE TABLE landing_variants (
    id                  BIGSERIAL PRIMARY KEY,
    landing_id          BIGINT NOT NULL REFERENCES landings (id),
    name                TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 40),
    -- Share of traffic relative to the other variants; 0 stops sending new visitors.
    weight              INT NOT NULL DEFAULT 1 CHECK (weight BETWEEN 0 AND 100),
    -- Content blocks (hero, benefits, testimonials, FAQ, CTA) validated by the application.
    blocks              JSONB NOT NULL DEFAULT '{}',
    created_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (landing_id, name)
);
CREATE INDEX landing_variants_landing_idx ON landing_variants (landing_id, id);

-- Visits and conversions per variant and day: one upsert per event keeps counting cheap
-- (no row per visit) while still allowing date ranges.
CREATE TABLE landing_daily_stats (
    landing_variant_id  BIGINT NOT NULL REFERENCES landing_variants (id),
    day                 DATE NOT NULL,
    visits              BIGINT NOT NULL DEFAULT 0 CHECK (visits >= 0),
    conversions         BIGINT NOT NULL DEFAULT 0 CHECK (conversions >= 0),
    PRIMARY KEY (landing_variant_id, day)
);

CREATE TABLE blog_posts (
    id                  BIGSERIAL PRIMARY KEY,
    slug                TEXT NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$' AND length(slug) <= 120),
    title               TEXT NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    summary             TEXT NOT NULL DEFAULT '',
    body_markdown       TEXT NOT NULL DEFAULT '',
    cover_url           TEXT,
    -- Shown from this date on; NULL is a draft.
    published_on        DATE,
    created_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at          TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX blog_posts_published_idx ON blog_posts (published_on DESC, id DESC) WHERE published_on IS NOT NULL;

-- Which agents take the new leads of a line. A line without rows rotates among every
-- active agent.
CREATE TABLE lead_agent_lines (
    staff_id            BIGINT NOT NULL REFERENCES staff_users (id),
    line_id             BIGINT NOT NULL REFERENCES lines_of_business (id),
    PRIMARY KEY (line_id, staff_id)
);

-- Round-robin cursor per pool ('all' or 'line:<id>'): the last agent given a lead. The row is
-- locked while choosing the next one, so concurrent submissions take turns.
CREATE TABLE lead_rotation (
    pool                TEXT PRIMARY KEY,
    last_staff_id       BIGINT REFERENCES staff_users (id)
);

ALTER TABLE leads ADD CONSTRAINT leads_landing_fkey
    FOREIGN KEY (landing_id) REFERENCES landings (id);
ALTER TABLE leads ADD CONSTRAINT leads_landing_variant_fkey
    FOREIGN KEY (landing_variant_id) REFERENCES landing_variants (id);
ALTER TABLE lead_submissions ADD CONSTRAINT lead_submissions_landing_fkey
    FOREIGN KEY (landing_id) REFERENCES landings (id);
ALTER TABLE lead_submissions ADD CONSTRAINT lead_submissions_landing_variant_fkey
    FOREIGN KEY (landing_variant_id) REFERENCES landing_variants (id);
CREATE INDEX leads_landing_idx ON leads (landing_id, created_at DESC) WHERE landing_id IS NOT NULL;
