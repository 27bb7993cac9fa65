-- Imports of policies and of carriers' receipt files, and imports applied as a background job:
-- the confirmation queues the import (status 'applying'); whoever claims it (the request's own
-- task, or the worker for one left behind by a crash) holds a lease it renews batch by batch,
-- and `processed_rows` moves forward in the same transaction as each batch, so a crash resumes
-- after the last committed batch and never writes a batch twice.
ALTER TABLE import_mappings DROP CONSTRAINT import_mappings_kind_check;
ALTER TABLE import_mappings ADD CONSTRAINT import_mappings_kind_check
    CHECK (kind IN ('customers', 'policies', 'receipts'));
ALTER TABLE imports DROP CONSTRAINT imports_kind_check;
ALTER TABLE imports ADD CONSTRAINT imports_kind_check
    CHECK (kind IN ('customers', 'policies', 'receipts'));
ALTER TABLE imports DROP CONSTRAINT imports_status_check;
ALTER TABLE imports ADD CONSTRAINT imports_status_check
    CHECK (status IN ('uploaded', 'previewed', 'applying', 'applied'));
ALTER TABLE imports
    ADD COLUMN processed_rows INTEGER NOT NULL DEFAULT 0,
    ADD COLUMN lease_until TIMESTAMPTZ,
    ADD COLUMN applied_by_staff_id BIGINT REFERENCES staff_users (id),
    -- The file's headers, so that the mapping page does not read a large file again.
    ADD COLUMN headers JSONB NOT NULL DEFAULT '[]';

-- The worker looks for imports left half-way.
CREATE INDEX imports_applying_idx ON imports (lease_until) WHERE status = 'applying';

-- The dry run's refusals, kept so that the import's page and the refused-rows file read them
-- instead of planning a large file again on every view.
CREATE TABLE import_refusals (
    import_id BIGINT NOT NULL REFERENCES imports (id) ON DELETE CASCADE,
    line INTEGER NOT NULL,
    -- [{"column": …, "value": …, "message": …}, …]
    problems JSONB NOT NULL,
    PRIMARY KEY (import_id, line)
);
