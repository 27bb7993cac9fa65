-- The catalogue maintained by staff: carriers get their contact details, lines and products
-- can be deactivated (never deleted once in use), products say what they cover, and commission
-- rates get a history with an effective date: a rate applies to receipts collected from that
-- date, and lines already booked keep the rate they were booked with (commissions.rate_bp).

ALTER TABLE carriers
    ADD COLUMN address          TEXT NOT NULL DEFAULT '' CHECK (length(address) <= 300),
    ADD COLUMN claims_phone     TEXT NOT NULL DEFAULT '' CHECK (length(claims_phone) <= 20),
    ADD COLUMN assistance_phone TEXT NOT NULL DEFAULT '' CHECK (length(assistance_phone) <= 20),
    ADD COLUMN email            TEXT NOT NULL DEFAULT '' CHECK (length(email) <= 254),
    ADD COLUMN notes            TEXT NOT NULL DEFAULT '' CHECK (length(notes) <= 2000);
ALTER TABLE carriers ADD CONSTRAINT carriers_name_key UNIQUE (name);

ALTER TABLE lines_of_business
    ADD COLUMN active BOOLEAN NOT NULL DEFAULT TRUE;
ALTER TABLE lines_of_business ADD CONSTRAINT lines_of_business_name_key UNIQUE (name);

ALTER TABLE products
    ADD COLUMN cover_summary TEXT NOT NULL DEFAULT '' CHECK (length(cover_summary) <= 1000);
ALTER TABLE products ADD CONSTRAINT products_carrier_name_key UNIQUE (carrier_id, name);

CREATE TABLE commission_rates (
    id                  BIGSERIAL PRIMARY KEY,
    product_id          BIGINT NOT NULL REFERENCES products (id),
    -- The first collection date the rate applies to.
    effective_from      DATE NOT NULL,
    -- Basis points of the net premium (1250 = 12.50 %).
    new_business_bp     INTEGER NOT NULL CHECK (new_business_bp BETWEEN 0 AND 10000),
    renewal_bp          INTEGER NOT NULL CHECK (renewal_bp BETWEEN 0 AND 10000),
    created_by_staff_id BIGINT REFERENCES staff_users (id),
    created_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (product_id, effective_from)
);

-- The rates known so far have applied since always.
INSERT INTO commission_rates (product_id, effective_from, new_business_bp, renewal_bp)
SELECT id, DATE '2000-01-01', commission_new_bp, commission_renewal_bp FROM products;

ALTER TABLE products DROP COLUMN commission_new_bp, DROP COLUMN commission_renewal_bp;

