-- A landing form's conversion used to add one to its variant's counter of the day inside the
-- lead's transaction: every form sent to a landing updated the same row, so each waited for
-- the previous one's commit. The lead's transaction now only inserts a row here (no shared
-- row), and these are folded into the daily counters every few seconds, and before the A/B
-- figures are read, so the figures stay exact and a conversion is as durable as its lead.
CREATE TABLE landing_conversions_pending (
    id                 BIGSERIAL PRIMARY KEY,
    landing_variant_id BIGINT NOT NULL REFERENCES landing_variants (id),
    day                DATE NOT NULL
);
