-- Blocking (LOPDGDD art. 32): when an erasure request is attended, the customer's identifying
-- data are sealed away from every page, list, search and export, kept only for the legal
-- periods (Ley 50/1980 art. 23: two years for damage insurance, five for personal insurance;
-- Código de Comercio art. 30: six years of commercial books; four years of tax records),
-- readable only by the legal-hold role, and destroyed by the nightly job when they end.
ALTER TABLE customers ADD COLUMN blocked_at TIMESTAMPTZ,
                      ADD COLUMN blocked_until DATE,
                      ADD CHECK ((blocked_at IS NULL) = (blocked_until IS NULL));
-- A blocked record keeps a neutral, unique stand-in for its tax id.
ALTER TABLE customers DROP CONSTRAINT customers_tax_id_check;
ALTER TABLE customers ADD CONSTRAINT customers_tax_id_check
    CHECK (tax_id ~ '^[0-9XYZA-W][0-9]{7}[0-9A-Z]$'
           OR (blocked_at IS NOT NULL AND tax_id ~ '^BLOQ[0-9]+$'));
CREATE INDEX customers_blocked_idx ON customers (blocked_until, id) WHERE blocked_at IS NOT NULL;

-- What was sealed, as it was, until the end of its legal period.
CREATE TABLE blocked_customer_data (
    customer_id    BIGINT PRIMARY KEY REFERENCES customers (id),
    request_id     BIGINT REFERENCES privacy_requests (id),
    sealed         JSONB NOT NULL,
    blocked_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    blocked_until  DATE NOT NULL
);
CREATE INDEX blocked_customer_data_until_idx ON blocked_customer_data (blocked_until);
