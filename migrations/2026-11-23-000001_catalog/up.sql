-- Carriers (compañías), lines of business (ramos) and the products a carrier sells in a line,
-- with the commission the broker earns on their net premium.

CREATE TABLE carriers (
    id          BIGSERIAL PRIMARY KEY,
    code        TEXT NOT NULL UNIQUE CHECK (code ~ '^[a-z0-9-]{2,32}$'),
    name        TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 120),
    tax_id      TEXT NOT NULL UNIQUE CHECK (tax_id ~ '^[A-Z][0-9]{7}[0-9A-J]$'),
    dgsfp_key   TEXT NOT NULL,
    active      BOOLEAN NOT NULL DEFAULT TRUE,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE lines_of_business (
    id          BIGSERIAL PRIMARY KEY,
    code        TEXT NOT NULL UNIQUE CHECK (code ~ '^[a-z0-9-]{2,32}$'),
    name        TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 80),
    summary     TEXT NOT NULL DEFAULT '' CHECK (length(summary) <= 300),
    position    INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE products (
    id                          BIGSERIAL PRIMARY KEY,
    carrier_id                  BIGINT NOT NULL REFERENCES carriers (id),
    line_id                     BIGINT NOT NULL REFERENCES lines_of_business (id),
    code                        TEXT NOT NULL CHECK (code ~ '^[a-z0-9-]{2,48}$'),
    name                        TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 120),
    -- Commission as basis points of the net premium (1250 = 12.50 %), new business and renewals.
    commission_new_bp           INTEGER NOT NULL CHECK (commission_new_bp BETWEEN 0 AND 10000),
    commission_renewal_bp       INTEGER NOT NULL CHECK (commission_renewal_bp BETWEEN 0 AND 10000),
    active                      BOOLEAN NOT NULL DEFAULT TRUE,
    UNIQUE (carrier_id, code)
);
CREATE INDEX products_line_idx ON products (line_id);
