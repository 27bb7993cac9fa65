-- The customer list filters by tag (`tags @> ARRAY[...]`).
CREATE INDEX customers_tags_idx ON customers USING gin (tags) WHERE merged_into_id IS NULL;
