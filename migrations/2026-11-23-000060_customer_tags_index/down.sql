DROP INDEX IF EXISTS customers_tags_idx;
