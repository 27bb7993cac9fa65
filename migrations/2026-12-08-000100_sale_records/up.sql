-- Insurance-distribution records of every sale (RDL 3/2020): the client's demands and needs,
-- the option recommended and why, and the pre-contract information delivered on a durable
-- medium (the exact text, when, how, and the proof). A policy is issued with them or with a
-- recorded reason (`policies.sale_exemption`).

-- Legal texts as delivered or accepted, in full: the same words give the same row (sha256), so
-- every record points at exactly what the person read.
CREATE TABLE legal_texts (
    id          BIGSERIAL PRIMARY KEY,
    kind        TEXT NOT NULL CHECK (kind IN ('precontract', 'privacy', 'marketing')),
    version     TEXT NOT NULL,
    body        TEXT NOT NULL,
    sha256      TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (kind, sha256)
);
CREATE INDEX legal_texts_kind_version ON legal_texts (kind, version);

CREATE TABLE quote_sale_records (
    quote_id                   BIGINT PRIMARY KEY REFERENCES quotes (id) ON DELETE CASCADE,
    -- Answers to the line's questions: [{"code":..,"question":..,"answer":..}] in order.
    needs                      JSONB NOT NULL DEFAULT '[]',
    needs_recorded_at          TIMESTAMPTZ,
    needs_recorded_by          TEXT,
    recommended_option_id      BIGINT REFERENCES quote_options (id) ON DELETE SET NULL,
    advice_basis               TEXT NOT NULL DEFAULT '',
    precontract_text_id        BIGINT REFERENCES legal_texts (id),
    precontract_channel        TEXT CHECK (precontract_channel IN
                                   ('email', 'portal', 'web', 'paper', 'in_person')),
    precontract_delivered_at   TIMESTAMPTZ,
    precontract_proof          TEXT,
    updated_at                 TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK ((precontract_channel IS NULL) = (precontract_delivered_at IS NULL))
);
CREATE INDEX quote_sale_records_text ON quote_sale_records (precontract_text_id);

ALTER TABLE policies ADD COLUMN sale_exemption TEXT;
-- Policies already in the book were sold before these records were kept here.
UPDATE policies SET sale_exemption = 'Póliza anterior al registro de distribución en la aplicación'
 WHERE id NOT IN (SELECT policy_id FROM quotes WHERE policy_id IS NOT NULL);

-- The client reads the records of their own quotes and the texts they were given.
GRANT SELECT ON legal_texts, quote_sale_records TO soriano_portal;
ALTER TABLE quote_sale_records ENABLE ROW LEVEL SECURITY;
CREATE POLICY portal_own ON quote_sale_records FOR SELECT TO soriano_portal
    USING (quote_id IN (SELECT id FROM quotes WHERE customer_id = portal_customer_id()));
