-- A taxi is a risk of its own (policies::Risk::Taxi): rewrite the taxi risks the quoter stored
-- before into its current shape. Plate as people write it ("1234 BCD", "M-1234-AB"), province
-- as its INE number, and the cover asked for (level and options, until now only inside
-- rating_input and the demands and needs) beside the rest. Idempotent.
CREATE OR REPLACE FUNCTION pg_temp.taxi_risk(risk jsonb, needs jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
SELECT risk || jsonb_build_object(
    'make', COALESCE(risk -> 'make', 'null'::jsonb),
    'model', COALESCE(risk -> 'model', 'null'::jsonb),
    'plate', CASE
        WHEN risk ->> 'plate' ~ '^[0-9]{4}[B-DF-HJ-NP-TV-Z]{3}$'
            THEN substr(risk ->> 'plate', 1, 4) || ' ' || substr(risk ->> 'plate', 5)
        WHEN risk ->> 'plate' ~ '^[A-Z]{1,2}[0-9]{4}[A-Z]{1,2}$'
            THEN regexp_replace(risk ->> 'plate', '^([A-Z]{1,2})([0-9]{4})([A-Z]{1,2})$', '\1-\2-\3')
        ELSE risk ->> 'plate'
    END,
    'licence_province', CASE
        WHEN jsonb_typeof(risk -> 'licence_province') = 'string'
             AND risk ->> 'licence_province' ~ '^\s*[0-9]{1,2}\s*$'
            THEN to_jsonb(trim(risk ->> 'licence_province')::int)
        ELSE risk -> 'licence_province'
    END,
    'coverage', COALESCE(
        risk -> 'coverage',
        needs -> 'coverage_level',
        CASE risk -> 'rating_input' ->> 'coverage'
            WHEN 'comprehensive_with_excess' THEN to_jsonb('comprehensive_excess'::text)
            ELSE risk -> 'rating_input' -> 'coverage'
        END
    ),
    'options', COALESCE(
        risk -> 'options',
        needs -> 'options',
        risk -> 'rating_input' -> 'extras',
        '[]'::jsonb
    )
)
$$;

UPDATE quotes
SET risk = pg_temp.taxi_risk(risk, demands_and_needs)
WHERE risk ->> 'kind' = 'taxi';

UPDATE policies
SET risk = pg_temp.taxi_risk(risk, '{}'::jsonb)
WHERE risk ->> 'kind' = 'taxi';
