ALTER TABLE products
    ADD COLUMN commission_new_bp INTEGER NOT NULL DEFAULT 0,
    ADD COLUMN commission_renewal_bp INTEGER NOT NULL DEFAULT 0;
UPDATE products p SET commission_new_bp = r.new_business_bp, commission_renewal_bp = r.renewal_bp
FROM (SELECT DISTINCT ON (product_id) product_id, new_business_bp, renewal_bp
      FROM commission_rates ORDER BY product_id, effective_from DESC) r
WHERE r.product_id = p.id;
DROP TABLE commission_rates;
ALTER TABLE products DROP CONSTRAINT products_carrier_name_key, DROP COLUMN cover_summary;
ALTER TABLE lines_of_business DROP CONSTRAINT lines_of_business_name_key, DROP COLUMN active;
ALTER TABLE carriers DROP CONSTRAINT carriers_name_key,
    DROP COLUMN address, DROP COLUMN claims_phone, DROP COLUMN assistance_phone,
    DROP COLUMN email, DROP COLUMN notes;
