-- The staff home page heads its lists with how many policies in force end within 30 days and
-- how many claims are open (an agent's: of their own customers; a claims handler's: theirs and
-- the ones nobody has taken). Counting them joined every matching policy or claim with its
-- customer on every view of the page, work that grows with the book (200,000 policies renewing
-- yearly put some 16,000 in any 30 days). These running counts give the same figures from a
-- few rows whatever the size of the book, kept by statement-level
-- triggers as `policy_counts` (migration 2026-12-10-000020) is. The trigger functions run as
-- their owner (SECURITY DEFINER): e-SORI's role changes claims and its own customer row and
-- must not need rights on these counts.

-- Policies in force per end date and customer owner.
CREATE TABLE policy_end_counts (
    end_date       DATE NOT NULL,
    owner_staff_id BIGINT REFERENCES staff_users (id),
    active         BIGINT NOT NULL
);
CREATE UNIQUE INDEX policy_end_counts_key
    ON policy_end_counts (end_date, (coalesce(owner_staff_id, 0)));

CREATE FUNCTION policy_end_counts_add(day DATE, owner BIGINT, delta BIGINT)
RETURNS void LANGUAGE sql
    SECURITY DEFINER SET search_path = public AS $$
    INSERT INTO policy_end_counts AS t (end_date, owner_staff_id, active)
    VALUES (day, owner, delta)
    ON CONFLICT (end_date, (coalesce(owner_staff_id, 0)))
        DO UPDATE SET active = t.active + excluded.active;
$$;

CREATE FUNCTION policy_end_counts_from_policies() RETURNS trigger LANGUAGE plpgsql
    SECURITY DEFINER SET search_path = public AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM policy_end_counts_add(end_date, owner, -n)
        FROM (SELECT p.end_date, c.owner_staff_id AS owner, count(*) AS n
              FROM old_policies p JOIN customers c ON c.id = p.customer_id
              WHERE p.status = 'active'
              GROUP BY 1, 2) AS changes;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        PERFORM policy_end_counts_add(end_date, owner, n)
        FROM (SELECT p.end_date, c.owner_staff_id AS owner, count(*) AS n
              FROM new_policies p JOIN customers c ON c.id = p.customer_id
              WHERE p.status = 'active'
              GROUP BY 1, 2) AS changes;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER policy_end_counts_insert AFTER INSERT ON policies
    REFERENCING NEW TABLE AS new_policies
    FOR EACH STATEMENT EXECUTE FUNCTION policy_end_counts_from_policies();
CREATE TRIGGER policy_end_counts_update AFTER UPDATE ON policies
    REFERENCING OLD TABLE AS old_policies NEW TABLE AS new_policies
    FOR EACH STATEMENT EXECUTE FUNCTION policy_end_counts_from_policies();
CREATE TRIGGER policy_end_counts_delete AFTER DELETE ON policies
    REFERENCING OLD TABLE AS old_policies
    FOR EACH STATEMENT EXECUTE FUNCTION policy_end_counts_from_policies();

-- Open claims (not paid, closed or rejected) per customer owner and handler.
CREATE TABLE open_claim_counts (
    owner_staff_id   BIGINT REFERENCES staff_users (id),
    handler_staff_id BIGINT REFERENCES staff_users (id),
    open             BIGINT NOT NULL
);
CREATE UNIQUE INDEX open_claim_counts_key
    ON open_claim_counts ((coalesce(owner_staff_id, 0)), (coalesce(handler_staff_id, 0)));

CREATE FUNCTION open_claim_counts_add(owner BIGINT, handler BIGINT, delta BIGINT)
RETURNS void LANGUAGE sql
    SECURITY DEFINER SET search_path = public AS $$
    INSERT INTO open_claim_counts AS t (owner_staff_id, handler_staff_id, open)
    VALUES (owner, handler, delta)
    ON CONFLICT ((coalesce(owner_staff_id, 0)), (coalesce(handler_staff_id, 0)))
        DO UPDATE SET open = t.open + excluded.open;
$$;

CREATE FUNCTION open_claim_counts_from_claims() RETURNS trigger LANGUAGE plpgsql
    SECURITY DEFINER SET search_path = public AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM open_claim_counts_add(owner, handler_staff_id, -n)
        FROM (SELECT c.owner_staff_id AS owner, k.handler_staff_id, count(*) AS n
              FROM old_claims k JOIN customers c ON c.id = k.customer_id
              WHERE k.status NOT IN ('paid', 'closed', 'rejected')
              GROUP BY 1, 2) AS changes;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        PERFORM open_claim_counts_add(owner, handler_staff_id, n)
        FROM (SELECT c.owner_staff_id AS owner, k.handler_staff_id, count(*) AS n
              FROM new_claims k JOIN customers c ON c.id = k.customer_id
              WHERE k.status NOT IN ('paid', 'closed', 'rejected')
              GROUP BY 1, 2) AS changes;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER open_claim_counts_insert AFTER INSERT ON claims
    REFERENCING NEW TABLE AS new_claims
    FOR EACH STATEMENT EXECUTE FUNCTION open_claim_counts_from_claims();
CREATE TRIGGER open_claim_counts_update AFTER UPDATE ON claims
    REFERENCING OLD TABLE AS old_claims NEW TABLE AS new_claims
    FOR EACH STATEMENT EXECUTE FUNCTION open_claim_counts_from_claims();
CREATE TRIGGER open_claim_counts_delete AFTER DELETE ON claims
    REFERENCING OLD TABLE AS old_claims
    FOR EACH STATEMENT EXECUTE FUNCTION open_claim_counts_from_claims();

-- A customer handed to another agent takes their expiring policies and open claims along.
CREATE FUNCTION dashboard_counts_from_customers() RETURNS trigger LANGUAGE plpgsql
    SECURITY DEFINER SET search_path = public AS $$
BEGIN
    PERFORM policy_end_counts_add(end_date, owner, n)
    FROM (SELECT p.end_date, o.owner_staff_id AS owner, -count(*) AS n
          FROM old_customers o
          JOIN new_customers c ON c.id = o.id
          JOIN policies p ON p.customer_id = o.id
          WHERE o.owner_staff_id IS DISTINCT FROM c.owner_staff_id AND p.status = 'active'
          GROUP BY 1, 2
          UNION ALL
          SELECT p.end_date, c.owner_staff_id, count(*)
          FROM old_customers o
          JOIN new_customers c ON c.id = o.id
          JOIN policies p ON p.customer_id = c.id
          WHERE o.owner_staff_id IS DISTINCT FROM c.owner_staff_id AND p.status = 'active'
          GROUP BY 1, 2) AS changes;
    PERFORM open_claim_counts_add(owner, handler_staff_id, n)
    FROM (SELECT o.owner_staff_id AS owner, k.handler_staff_id, -count(*) AS n
          FROM old_customers o
          JOIN new_customers c ON c.id = o.id
          JOIN claims k ON k.customer_id = o.id
          WHERE o.owner_staff_id IS DISTINCT FROM c.owner_staff_id
            AND k.status NOT IN ('paid', 'closed', 'rejected')
          GROUP BY 1, 2
          UNION ALL
          SELECT c.owner_staff_id, k.handler_staff_id, count(*)
          FROM old_customers o
          JOIN new_customers c ON c.id = o.id
          JOIN claims k ON k.customer_id = c.id
          WHERE o.owner_staff_id IS DISTINCT FROM c.owner_staff_id
            AND k.status NOT IN ('paid', 'closed', 'rejected')
          GROUP BY 1, 2) AS changes;
    RETURN NULL;
END $$;

CREATE TRIGGER dashboard_counts_owner AFTER UPDATE ON customers
    REFERENCING OLD TABLE AS old_customers NEW TABLE AS new_customers
    FOR EACH STATEMENT EXECUTE FUNCTION dashboard_counts_from_customers();

INSERT INTO policy_end_counts (end_date, owner_staff_id, active)
SELECT p.end_date, c.owner_staff_id, count(*)
FROM policies p JOIN customers c ON c.id = p.customer_id
WHERE p.status = 'active'
GROUP BY 1, 2;

INSERT INTO open_claim_counts (owner_staff_id, handler_staff_id, open)
SELECT c.owner_staff_id, k.handler_staff_id, count(*)
FROM claims k JOIN customers c ON c.id = k.customer_id
WHERE k.status NOT IN ('paid', 'closed', 'rejected')
GROUP BY 1, 2;
