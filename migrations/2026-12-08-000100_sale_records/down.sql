DROP TABLE quote_sale_records;
DROP TABLE legal_texts;
ALTER TABLE policies DROP COLUMN sale_exemption;
