-- Analytics at volume, second step (issue 23).
--
-- 1. The loss ratio's earned premium is now summarised as running sums (kind 'earning'), and
--    the 'losses' rows carry the claims only: summary rows written before hold the earned
--    premium in 'losses' too, so every month is summarised again (the reports read the tables
--    until it is).
TRUNCATE analytics_months, analytics_months_done, analytics_dirty;

-- 2. Cross-selling counts, for each customer, the policies in force on a day. That is not a
--    sum over months, so it is kept per customer instead: the spans of days over which a
--    customer holds the same number of policies in force (`until` excluded), built by the
--    worker. A change to a customer's policies marks the customer dirty; a report reads the
--    spans of the others and the tables for the dirty ones, so its figures stay exact.
CREATE TABLE analytics_holdings (
    customer_id BIGINT NOT NULL,
    since       DATE NOT NULL,
    until       DATE NOT NULL,
    held        INTEGER NOT NULL CHECK (held > 0)
);
CREATE INDEX analytics_holdings_customer ON analytics_holdings (customer_id);
-- The spans covering a day: an index-only scan.
CREATE INDEX analytics_holdings_until ON analytics_holdings (until) INCLUDE (since, held, customer_id);

-- When the spans were first built (one row); until then the reports read the tables.
CREATE TABLE analytics_holdings_built (
    only_row BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (only_row),
    built_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE analytics_holdings_dirty (
    customer_id BIGINT NOT NULL
);
CREATE INDEX analytics_holdings_dirty_customer ON analytics_holdings_dirty (customer_id);

CREATE FUNCTION analytics_holdings_dirty_periods() RETURNS trigger LANGUAGE plpgsql
    SECURITY DEFINER SET search_path = public AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        INSERT INTO analytics_holdings_dirty (customer_id)
        SELECT DISTINCT p.customer_id FROM old_rows o JOIN policies p ON p.id = o.policy_id;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO analytics_holdings_dirty (customer_id)
        SELECT DISTINCT p.customer_id FROM new_rows n JOIN policies p ON p.id = n.policy_id;
    END IF;
    RETURN NULL;
END $$;

-- Policies: when their customer or whether they are in force changes.
CREATE FUNCTION analytics_holdings_dirty_policies() RETURNS trigger LANGUAGE plpgsql
    SECURITY DEFINER SET search_path = public AS $$
BEGIN
    INSERT INTO analytics_holdings_dirty (customer_id)
    SELECT DISTINCT c.customer_id
    FROM old_rows o
    JOIN new_rows n ON n.id = o.id
    CROSS JOIN LATERAL (VALUES (o.customer_id), (n.customer_id)) AS c(customer_id)
    WHERE (o.customer_id, o.status, o.status_changed_on)
          IS DISTINCT FROM (n.customer_id, n.status, n.status_changed_on);
    RETURN NULL;
END $$;

CREATE TRIGGER analytics_holdings_insert AFTER INSERT ON policy_periods
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION analytics_holdings_dirty_periods();
CREATE TRIGGER analytics_holdings_update AFTER UPDATE ON policy_periods
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION analytics_holdings_dirty_periods();
CREATE TRIGGER analytics_holdings_delete AFTER DELETE ON policy_periods
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION analytics_holdings_dirty_periods();
CREATE TRIGGER analytics_holdings_update AFTER UPDATE ON policies
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION analytics_holdings_dirty_policies();
