-- Taxi Asegurado tariffs: one row per carrier and version. A version is written as a draft,
-- edited, then published; publishing retires the carrier's previous published version. The
-- rules (base premiums, factor multipliers by band, option prices, minimum, taxes) are one
-- JSON document validated by the application (`taxi::rating::Tariff::problems`): the engine
-- reads a version as a whole, and a published version never changes again, so quotes that
-- point at it keep their explanation (they also store their full breakdown).
CREATE TABLE taxi_tariff_versions (
    id                  BIGSERIAL PRIMARY KEY,
    carrier_id          BIGINT NOT NULL REFERENCES carriers (id),
    version             INT NOT NULL CHECK (version > 0),
    status              TEXT NOT NULL DEFAULT 'draft'
                        CHECK (status IN ('draft', 'published', 'retired')),
    rules               JSONB NOT NULL CHECK (jsonb_typeof(rules) = 'object'),
    notes               TEXT NOT NULL DEFAULT '',
    created_by_staff_id BIGINT REFERENCES staff_users (id),
    published_by_staff_id BIGINT REFERENCES staff_users (id),
    published_at        TIMESTAMPTZ,
    created_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (carrier_id, version),
    CHECK (status = 'draft' OR published_at IS NOT NULL)
);
-- At most one published and one draft version per carrier.
CREATE UNIQUE INDEX taxi_tariff_versions_published_idx
    ON taxi_tariff_versions (carrier_id) WHERE status = 'published';
CREATE UNIQUE INDEX taxi_tariff_versions_draft_idx
    ON taxi_tariff_versions (carrier_id) WHERE status = 'draft';

ALTER TABLE quote_options ADD CONSTRAINT quote_options_tariff_version_fkey
    FOREIGN KEY (tariff_version_id) REFERENCES taxi_tariff_versions (id);
CREATE INDEX quote_options_tariff_version_idx ON quote_options (tariff_version_id)
    WHERE tariff_version_id IS NOT NULL;
