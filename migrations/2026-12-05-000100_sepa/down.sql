DROP POLICY portal_own ON sepa_mandates;
REVOKE SELECT ON sepa_mandates FROM soriano_portal;
ALTER TABLE receipts DROP CONSTRAINT receipts_remitted_check;
UPDATE receipts SET status = 'pendiente' WHERE status = 'remesado';
ALTER TABLE receipts DROP CONSTRAINT receipts_status_check;
ALTER TABLE receipts ADD CONSTRAINT receipts_status_check
    CHECK (status IN ('pendiente', 'cobrado', 'devuelto', 'anulado'));
ALTER TABLE receipts DROP COLUMN remitted_on, DROP COLUMN end_to_end_id, DROP COLUMN mandate_id,
    DROP COLUMN remittance_id;
DROP TABLE sepa_remittances;
DROP TABLE sepa_mandates;
DROP TABLE sepa_settings;
