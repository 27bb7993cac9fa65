-- The trigger functions run as their owner (SECURITY DEFINER): e-SORI's role updates its own
-- customer row, and must not need rights on these counts or on other people's policies.
--
-- The portfolio page heads its list with the policies in force per carrier and line (for an
-- agent, of their own customers). Counting them meant joining every active policy with its
-- customer on every page view, 200,000 rows at our benchmark size; these running counts,
-- one row per carrier × line × customer owner, give the same figures from a few rows.
CREATE TABLE policy_counts (
    carrier_id     BIGINT NOT NULL REFERENCES carriers (id),
    line_id        BIGINT NOT NULL REFERENCES lines_of_business (id),
    owner_staff_id BIGINT REFERENCES staff_users (id),
    active         BIGINT NOT NULL
);
CREATE UNIQUE INDEX policy_counts_key
    ON policy_counts (carrier_id, line_id, (coalesce(owner_staff_id, 0)));

-- Adds `delta` active policies per group of (carrier, line, owner) given as rows.
CREATE FUNCTION policy_counts_add(carrier BIGINT, line BIGINT, owner BIGINT, delta BIGINT)
RETURNS void LANGUAGE sql
    SECURITY DEFINER SET search_path = public AS $$
    INSERT INTO policy_counts AS t (carrier_id, line_id, owner_staff_id, active)
    VALUES (carrier, line, owner, delta)
    ON CONFLICT (carrier_id, line_id, (coalesce(owner_staff_id, 0)))
        DO UPDATE SET active = t.active + excluded.active;
$$;

-- Policies: statement-level, over the transition tables, so a bulk import or renewal run
-- touches each count once. The owner is the customer's at the time (see the customers
-- trigger below for when it changes).
CREATE FUNCTION policy_counts_from_policies() RETURNS trigger LANGUAGE plpgsql
    SECURITY DEFINER SET search_path = public AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM policy_counts_add(carrier_id, line_id, owner, -n)
        FROM (SELECT p.carrier_id, p.line_id, c.owner_staff_id AS owner, count(*) AS n
              FROM old_policies p JOIN customers c ON c.id = p.customer_id
              WHERE p.status = 'active'
              GROUP BY 1, 2, 3) AS changes;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        PERFORM policy_counts_add(carrier_id, line_id, owner, n)
        FROM (SELECT p.carrier_id, p.line_id, c.owner_staff_id AS owner, count(*) AS n
              FROM new_policies p JOIN customers c ON c.id = p.customer_id
              WHERE p.status = 'active'
              GROUP BY 1, 2, 3) AS changes;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER policy_counts_insert AFTER INSERT ON policies
    REFERENCING NEW TABLE AS new_policies
    FOR EACH STATEMENT EXECUTE FUNCTION policy_counts_from_policies();
CREATE TRIGGER policy_counts_update AFTER UPDATE ON policies
    REFERENCING OLD TABLE AS old_policies NEW TABLE AS new_policies
    FOR EACH STATEMENT EXECUTE FUNCTION policy_counts_from_policies();
CREATE TRIGGER policy_counts_delete AFTER DELETE ON policies
    REFERENCING OLD TABLE AS old_policies
    FOR EACH STATEMENT EXECUTE FUNCTION policy_counts_from_policies();

-- A customer handed to another agent takes their policies in force along.
CREATE FUNCTION policy_counts_from_customers() RETURNS trigger LANGUAGE plpgsql
    SECURITY DEFINER SET search_path = public AS $$
BEGIN
    PERFORM policy_counts_add(carrier_id, line_id, owner, n)
    FROM (SELECT p.carrier_id, p.line_id, o.owner_staff_id AS owner, -count(*) AS n
          FROM old_customers o
          JOIN new_customers c ON c.id = o.id
          JOIN policies p ON p.customer_id = o.id
          WHERE o.owner_staff_id IS DISTINCT FROM c.owner_staff_id AND p.status = 'active'
          GROUP BY 1, 2, 3
          UNION ALL
          SELECT p.carrier_id, p.line_id, c.owner_staff_id, count(*)
          FROM old_customers o
          JOIN new_customers c ON c.id = o.id
          JOIN policies p ON p.customer_id = c.id
          WHERE o.owner_staff_id IS DISTINCT FROM c.owner_staff_id AND p.status = 'active'
          GROUP BY 1, 2, 3) AS changes;
    RETURN NULL;
END $$;

CREATE TRIGGER policy_counts_owner AFTER UPDATE ON customers
    REFERENCING OLD TABLE AS old_customers NEW TABLE AS new_customers
    FOR EACH STATEMENT EXECUTE FUNCTION policy_counts_from_customers();

INSERT INTO policy_counts (carrier_id, line_id, owner_staff_id, active)
SELECT p.carrier_id, p.line_id, c.owner_staff_id, count(*)
FROM policies p JOIN customers c ON c.id = p.customer_id
WHERE p.status = 'active'
GROUP BY 1, 2, 3;
