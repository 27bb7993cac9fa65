-- Search the way Spaniards type (accents and case ignored, identifiers without their spaces
-- and dashes) and names sorted the Spanish way ("Álvarez" before "Torres").

CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE EXTENSION IF NOT EXISTS unaccent;

-- unaccent() is only STABLE (its dictionary could be edited), so indexes cannot use it. These
-- wrappers name the dictionary explicitly and are declared IMMUTABLE; the SQL-standard body is
-- bound when created, so neither depends on the caller's search_path. Both sides of every
-- comparison go through the same function, so the stored and the typed text fold alike.
CREATE FUNCTION search_fold(text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    RETURN lower(unaccent('unaccent'::regdictionary, $1));

-- Identifiers (plates, policy/claim/quote/receipt numbers, tax ids): lower case without the
-- separators people type or leave out, so "1234 KLM", "1234-klm" and "1234klm" are one key.
-- Kept to translate() and lower(): the prefix searches recheck it on every row in range, and
-- an unaccent() or a regular expression there cost tens of microseconds a row (measured).
CREATE FUNCTION search_key(text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    RETURN lower(translate($1, ' -./_', ''));

-- Spanish collation (ICU, built into Debian's PostgreSQL). Set on the name columns themselves,
-- so every ORDER BY over them (lists, selects, exports) sorts Spanish without each query
-- having to remember it; the indexes over them are rebuilt with it.
CREATE COLLATION IF NOT EXISTS es_icu (provider = icu, locale = 'es-ES');

ALTER TABLE customers
    ALTER COLUMN display_name TYPE text COLLATE es_icu,
    ALTER COLUMN given_name TYPE text COLLATE es_icu,
    ALTER COLUMN family_name TYPE text COLLATE es_icu,
    ALTER COLUMN company_name TYPE text COLLATE es_icu,
    ALTER COLUMN city TYPE text COLLATE es_icu;
ALTER TABLE leads ALTER COLUMN full_name TYPE text COLLATE es_icu;
ALTER TABLE quotes ALTER COLUMN prospect_name TYPE text COLLATE es_icu;
ALTER TABLE staff_users ALTER COLUMN name TYPE text COLLATE es_icu;
ALTER TABLE carriers ALTER COLUMN name TYPE text COLLATE es_icu;
ALTER TABLE products ALTER COLUMN name TYPE text COLLATE es_icu;
ALTER TABLE lines_of_business ALTER COLUMN name TYPE text COLLATE es_icu;

-- The list's sort indexes, recreated explicitly over the Spanish-collated column (keyset
-- pagination compares (lower(display_name), id) rows against them).
DROP INDEX customers_display_name_idx;
DROP INDEX customers_owner_idx;
DROP INDEX customers_segment_idx;
CREATE INDEX customers_display_name_idx ON customers (lower(display_name), id) WHERE merged_into_id IS NULL;
CREATE INDEX customers_owner_idx ON customers (owner_staff_id, lower(display_name), id) WHERE merged_into_id IS NULL;
CREATE INDEX customers_segment_idx ON customers (segment, lower(display_name), id);

-- Name search by the beginnings of words, accents and case ignored ("lopez rodr" finds
-- "López Rodríguez, María"). Measured at 100,000 customers: a trigram index on the folded
-- name answered "martínez garcía" in 14-20 ms (long posting lists of common trigrams, and
-- unaccent() run again on every row checked), a words index in under 2 ms. The words are a
-- stored generated column, so PostgreSQL keeps them with every write of the name, the planner
-- has their statistics (an expression in a partial index gets none) and checking a row costs
-- no unaccent() call.
ALTER TABLE customers ADD COLUMN search_words tsvector
    GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, search_fold(display_name))) STORED;
CREATE INDEX customers_search_words_idx ON customers USING gin (search_words);
ALTER TABLE leads ADD COLUMN search_words tsvector
    GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, search_fold(full_name))) STORED;
CREATE INDEX leads_search_words_idx ON leads USING gin (search_words);

-- Town: the whole name, accents and case ignored, its customers in list order.
CREATE INDEX customers_city_search_idx ON customers (search_fold(city), lower(display_name), id)
    WHERE merged_into_id IS NULL AND city IS NOT NULL;

-- Identifiers by key prefix (text_pattern_ops: LIKE 'key%' under any database collation).
-- Not partial, so that the planner has the statistics of each key (it ignores those of a
-- partial index) and knows a typed plate or number is rare.
CREATE INDEX policies_number_search_idx ON policies (search_key(number) text_pattern_ops);
CREATE INDEX policies_plate_search_idx ON policies (search_key(risk ->> 'plate') text_pattern_ops);
CREATE INDEX claims_number_search_idx ON claims (search_key(number) text_pattern_ops);
CREATE INDEX quotes_number_search_idx ON quotes (search_key(number) text_pattern_ops);
CREATE INDEX receipts_number_search_idx ON receipts (search_key(number) text_pattern_ops);
