-- The bank's answers to remittances and its statements: each file once (by its SHA-256), the
-- ISO reason code of each returned receipt, and the lines no receipt could be matched to
-- (returns, or credits of a remittance that do not add up), waiting for a person.

ALTER TABLE receipts ADD COLUMN return_code TEXT CHECK (return_code ~ '^[A-Z0-9]{4}$');

CREATE TABLE bank_files (
    id                  BIGSERIAL PRIMARY KEY,
    kind                TEXT NOT NULL CHECK (kind IN ('pain.002', 'camt.054', 'camt.053', 'norma43')),
    filename            TEXT NOT NULL CHECK (length(filename) BETWEEN 1 AND 200),
    sha256              TEXT NOT NULL UNIQUE CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    line_count          INTEGER NOT NULL,
    returned_count      INTEGER NOT NULL,
    unchanged_count     INTEGER NOT NULL,
    unmatched_count     INTEGER NOT NULL,
    -- Receipts a credit of the statement paid (a remittance's credit, or one debit's).
    collected_count     INTEGER NOT NULL DEFAULT 0,
    uploaded_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    uploaded_by_staff_id BIGINT REFERENCES staff_users (id)
);
CREATE INDEX bank_files_uploaded_idx ON bank_files (uploaded_at DESC, id DESC);

CREATE TABLE bank_return_lines (
    id                  BIGSERIAL PRIMARY KEY,
    bank_file_id        BIGINT NOT NULL REFERENCES bank_files (id),
    position            INTEGER NOT NULL,
    kind                TEXT NOT NULL CHECK (kind IN ('rejection', 'return', 'refund', 'credit')),
    end_to_end_id       TEXT,
    mandate_reference   TEXT,
    amount_cents        BIGINT,
    occurred_on         DATE,
    reason              TEXT NOT NULL,
    status              TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'matched', 'dismissed')),
    receipt_id          BIGINT REFERENCES receipts (id),
    resolved_at         TIMESTAMPTZ,
    resolved_by_staff_id BIGINT REFERENCES staff_users (id),
    UNIQUE (bank_file_id, position),
    CHECK (status <> 'matched' OR receipt_id IS NOT NULL)
);
CREATE INDEX bank_return_lines_pending_idx ON bank_return_lines (id) WHERE status = 'pending';
