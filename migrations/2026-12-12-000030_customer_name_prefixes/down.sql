ALTER TABLE customers ADD COLUMN search_words tsvector
    GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, search_fold(display_name))) STORED;
CREATE INDEX customers_search_words_idx ON customers USING gin (search_words)
    WITH (fastupdate = off);

DROP INDEX customers_search_prefixes_idx;
ALTER TABLE customers DROP COLUMN search_prefixes;
DROP FUNCTION search_prefixes(text);
