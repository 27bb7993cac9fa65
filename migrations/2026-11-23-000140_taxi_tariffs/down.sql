DROP INDEX IF EXISTS quote_options_tariff_version_idx;
ALTER TABLE quote_options DROP CONSTRAINT IF EXISTS quote_options_tariff_version_fkey;
DROP TABLE taxi_tariff_versions;
