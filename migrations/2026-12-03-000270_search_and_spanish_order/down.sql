DROP INDEX receipts_number_search_idx;
DROP INDEX quotes_number_search_idx;
DROP INDEX claims_number_search_idx;
DROP INDEX policies_plate_search_idx;
DROP INDEX policies_number_search_idx;
DROP INDEX customers_city_search_idx;
ALTER TABLE leads DROP COLUMN search_words;
ALTER TABLE customers DROP COLUMN search_words;

ALTER TABLE lines_of_business ALTER COLUMN name TYPE text COLLATE "default";
ALTER TABLE products ALTER COLUMN name TYPE text COLLATE "default";
ALTER TABLE carriers ALTER COLUMN name TYPE text COLLATE "default";
ALTER TABLE staff_users ALTER COLUMN name TYPE text COLLATE "default";
ALTER TABLE quotes ALTER COLUMN prospect_name TYPE text COLLATE "default";
ALTER TABLE leads ALTER COLUMN full_name TYPE text COLLATE "default";
ALTER TABLE customers
    ALTER COLUMN display_name TYPE text COLLATE "default",
    ALTER COLUMN given_name TYPE text COLLATE "default",
    ALTER COLUMN family_name TYPE text COLLATE "default",
    ALTER COLUMN company_name TYPE text COLLATE "default",
    ALTER COLUMN city TYPE text COLLATE "default";

DROP INDEX customers_display_name_idx;
DROP INDEX customers_owner_idx;
DROP INDEX customers_segment_idx;
CREATE INDEX customers_display_name_idx ON customers (lower(display_name), id) WHERE merged_into_id IS NULL;
CREATE INDEX customers_owner_idx ON customers (owner_staff_id, lower(display_name), id) WHERE merged_into_id IS NULL;
CREATE INDEX customers_segment_idx ON customers (segment, lower(display_name), id);

DROP COLLATION es_icu;
DROP FUNCTION search_key(text);
DROP FUNCTION search_fold(text);
DROP EXTENSION IF EXISTS unaccent;
