-- Recibos: the premium instalments of each policy period, split by the payment frequency,
-- and their collection life cycle (pendiente → cobrado | devuelto | anulado).

CREATE TABLE receipts (
    id                  BIGSERIAL PRIMARY KEY,
    policy_id           BIGINT NOT NULL REFERENCES policies (id),
    -- Copied from the policy so the portal's row-level policy and the customer's timeline
    -- need no join.
    customer_id         BIGINT NOT NULL REFERENCES customers (id),
    policy_period_id    BIGINT REFERENCES policy_periods (id),
    -- R-<policy id>-<year>-<n>
    number              TEXT NOT NULL UNIQUE CHECK (length(number) BETWEEN 1 AND 60),
    period_start        DATE NOT NULL,
    period_end          DATE NOT NULL,
    due_date            DATE NOT NULL,
    amount_cents        BIGINT NOT NULL CHECK (amount_cents >= 0),
    net_cents           BIGINT NOT NULL CHECK (net_cents >= 0 AND net_cents <= amount_cents),
    status              TEXT NOT NULL DEFAULT 'pendiente'
                        CHECK (status IN ('pendiente', 'cobrado', 'devuelto', 'anulado')),
    collected_on        DATE,
    returned_on         DATE,
    return_reason       TEXT CHECK (length(return_reason) <= 500),
    cancelled_on        DATE,
    cancel_reason       TEXT CHECK (length(cancel_reason) <= 500),
    -- Set when the housekeeping round raised the "unpaid receipt" task, so it raises one only.
    overdue_flagged_at  TIMESTAMPTZ,
    created_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK (period_end > period_start),
    CHECK (status <> 'cobrado' OR collected_on IS NOT NULL),
    CHECK (status <> 'devuelto' OR (returned_on IS NOT NULL AND return_reason IS NOT NULL)),
    CHECK (status <> 'anulado' OR cancelled_on IS NOT NULL),
    -- One receipt per instalment: generating twice adds nothing.
    UNIQUE (policy_id, period_start)
);
-- The policy page (its receipts by date) is served by the unique index above.
CREATE INDEX receipts_status_due_idx ON receipts (status, due_date, id);
CREATE INDEX receipts_due_idx ON receipts (due_date, id);
CREATE INDEX receipts_customer_due_idx ON receipts (customer_id, due_date DESC, id DESC);
CREATE INDEX receipts_overdue_idx ON receipts (due_date, id)
    WHERE status = 'pendiente' AND overdue_flagged_at IS NULL;

GRANT SELECT ON receipts TO soriano_portal;
ALTER TABLE receipts ENABLE ROW LEVEL SECURITY;
CREATE POLICY portal_own ON receipts FOR SELECT TO soriano_portal
    USING (customer_id = portal_customer_id());
