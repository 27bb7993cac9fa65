-- Premium collection by SEPA direct debit: the brokerage's creditor settings, its clients'
-- mandates, and the remittance files (remesas) that carry receipts to the bank.

-- One row: who collects, into which account, and what the bank takes.
CREATE TABLE sepa_settings (
    id                  SMALLINT PRIMARY KEY DEFAULT 1 CHECK (id = 1),
    creditor_name       TEXT NOT NULL CHECK (length(creditor_name) BETWEEN 1 AND 70),
    creditor_id         TEXT NOT NULL CHECK (creditor_id ~ '^[A-Z]{2}[0-9]{2}[A-Z0-9]{3}[A-Z0-9]{1,28}$'),
    iban                TEXT NOT NULL CHECK (iban ~ '^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$'),
    bic                 TEXT CHECK (bic ~ '^[A-Z]{6}[A-Z0-9]{2}([A-Z0-9]{3})?$'),
    street              TEXT NOT NULL DEFAULT '',
    postcode            TEXT NOT NULL DEFAULT '',
    town                TEXT NOT NULL CHECK (length(town) BETWEEN 1 AND 35),
    country             TEXT NOT NULL DEFAULT 'ES' CHECK (country ~ '^[A-Z]{2}$'),
    -- The bank's profile: the file version it takes and whether it still wants FRST on a
    -- mandate's first collection (optional since the 2016 rulebook: RCUR throughout).
    file_version        TEXT NOT NULL DEFAULT 'pain.008.001.08'
                        CHECK (file_version IN ('pain.008.001.08', 'pain.008.001.02')),
    first_sequence      BOOLEAN NOT NULL DEFAULT TRUE,
    -- Days between the pre-notification and the charge (14 unless agreed otherwise).
    notice_days         INTEGER NOT NULL DEFAULT 14 CHECK (notice_days BETWEEN 1 AND 60),
    updated_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_by_staff_id BIGINT REFERENCES staff_users (id)
);

CREATE TABLE sepa_mandates (
    id                  BIGSERIAL PRIMARY KEY,
    customer_id         BIGINT NOT NULL REFERENCES customers (id),
    -- The unique mandate reference (UMR), given by the brokerage.
    reference           TEXT NOT NULL UNIQUE CHECK (reference ~ '^[A-Za-z0-9/?:().,''+-]{1,35}$'),
    debtor_name         TEXT NOT NULL CHECK (length(debtor_name) BETWEEN 1 AND 70),
    iban                TEXT NOT NULL CHECK (iban ~ '^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$'),
    scheme              TEXT NOT NULL CHECK (scheme IN ('core', 'b2b')),
    signed_on           DATE NOT NULL,
    -- The signed mandate scanned and kept as one of the customer's documents.
    document_id         BIGINT NOT NULL REFERENCES documents (id),
    status              TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'revoked', 'expired')),
    first_used_on       DATE,
    last_used_on        DATE,
    -- Set when the debtor's account changes, until the next collection tells the bank
    -- (AmdmntInd with the original account); cleared by that collection.
    amended_from_iban   TEXT,
    revoked_on          DATE,
    created_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    created_by_staff_id BIGINT REFERENCES staff_users (id),
    updated_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK (status <> 'revoked' OR revoked_on IS NOT NULL)
);
CREATE INDEX sepa_mandates_customer_idx ON sepa_mandates (customer_id, status);
-- One mandate in force per customer: the one a remittance uses.
CREATE UNIQUE INDEX sepa_mandates_one_active_idx ON sepa_mandates (customer_id) WHERE status = 'active';

CREATE TABLE sepa_remittances (
    id                  BIGSERIAL PRIMARY KEY,
    -- The file's MsgId.
    reference           TEXT NOT NULL UNIQUE,
    file_version        TEXT NOT NULL CHECK (file_version IN ('pain.008.001.08', 'pain.008.001.02')),
    collection_date     DATE NOT NULL,
    receipt_count       INTEGER NOT NULL CHECK (receipt_count > 0),
    total_cents         BIGINT NOT NULL CHECK (total_cents > 0),
    xml                 TEXT NOT NULL,
    sha256              TEXT NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    -- The selection it was made from, as the staff member chose it.
    criteria            JSONB NOT NULL DEFAULT '{}',
    created_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    created_by_staff_id BIGINT REFERENCES staff_users (id)
);
CREATE INDEX sepa_remittances_created_idx ON sepa_remittances (created_at DESC, id DESC);

-- A receipt sent to the bank: which remittance, under which mandate and EndToEndId. A receipt
-- belongs to one remittance at most, so no file carries it twice.
ALTER TABLE receipts
    ADD COLUMN remittance_id BIGINT REFERENCES sepa_remittances (id),
    ADD COLUMN mandate_id BIGINT REFERENCES sepa_mandates (id),
    ADD COLUMN end_to_end_id TEXT UNIQUE,
    ADD COLUMN remitted_on DATE;
CREATE INDEX receipts_remittance_idx ON receipts (remittance_id) WHERE remittance_id IS NOT NULL;

ALTER TABLE receipts DROP CONSTRAINT receipts_status_check;
ALTER TABLE receipts ADD CONSTRAINT receipts_status_check
    CHECK (status IN ('pendiente', 'remesado', 'cobrado', 'devuelto', 'anulado'));
ALTER TABLE receipts ADD CONSTRAINT receipts_remitted_check
    CHECK (status <> 'remesado' OR (remittance_id IS NOT NULL AND remitted_on IS NOT NULL));

-- e-SORI shows a client their own mandate (the row-level role of migration 000150).
GRANT SELECT ON sepa_mandates TO soriano_portal;
ALTER TABLE sepa_mandates ENABLE ROW LEVEL SECURITY;
CREATE POLICY portal_own ON sepa_mandates FOR SELECT TO soriano_portal
    USING (customer_id = portal_customer_id());
