DROP TABLE blocked_customer_data;
ALTER TABLE customers DROP CONSTRAINT customers_tax_id_check;
ALTER TABLE customers ADD CONSTRAINT customers_tax_id_check
    CHECK (tax_id ~ '^[0-9XYZA-W][0-9]{7}[0-9A-Z]$');
DROP INDEX customers_blocked_idx;
ALTER TABLE customers DROP COLUMN blocked_at, DROP COLUMN blocked_until;
