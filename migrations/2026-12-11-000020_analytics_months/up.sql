-- Analytics at volume (issue 23): the whole book's figures of each month that has ended, kept
-- as summary rows so a report reads a few hundred rows per month instead of every policy,
-- period, claim, receipt and commission line of its range.
--
-- Exactness: a change to any row a figure is made of marks the months it touches as dirty
-- (statement-level triggers below, insert-only, so no write waits for another). A report
-- reads the summary only for months that are summarised and not dirty, and the rows
-- themselves for the rest of its range (the current month, the days at either end, dirty
-- months). The worker recomputes dirty and missing months in the background with the
-- reports' own statements, so the two can never define a figure differently.
--
-- Only the whole book is summarised: an agent's figures cover their own customers, few enough
-- to read directly (and a customer handed to another agent changes nothing here).

CREATE TABLE analytics_months (
    kind           TEXT NOT NULL,
    month          DATE NOT NULL,
    carrier_id     BIGINT,
    line_id        BIGINT,
    agent_staff_id BIGINT,
    key_text       TEXT,
    m1             NUMERIC NOT NULL,
    m2             NUMERIC NOT NULL,
    m3             NUMERIC NOT NULL,
    m4             NUMERIC NOT NULL
);
CREATE INDEX analytics_months_kind_month ON analytics_months (kind, month);

-- The months summarised, and when.
CREATE TABLE analytics_months_done (
    month        DATE PRIMARY KEY,
    refreshed_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Months whose rows changed since they were summarised.
CREATE TABLE analytics_dirty (
    month DATE NOT NULL
);
CREATE INDEX analytics_dirty_month ON analytics_dirty (month);

-- Marks the months from `lo` to `hi` (any days in them) as dirty; only months that have ended
-- are ever summarised, so the current and future ones are left out.
CREATE FUNCTION analytics_mark(lo DATE, hi DATE) RETURNS void LANGUAGE sql
    SECURITY DEFINER SET search_path = public AS $$
    INSERT INTO analytics_dirty (month)
    SELECT generate_series(date_trunc('month', lo),
                           least(date_trunc('month', hi),
                                 date_trunc('month', current_date) - interval '1 month'),
                           interval '1 month')::date
    WHERE lo IS NOT NULL AND hi IS NOT NULL
      AND lo < date_trunc('month', current_date);
$$;

-- Periods of cover: every month from start to end (new business, renewals, earned premium,
-- the book in force).
CREATE FUNCTION analytics_dirty_periods() RETURNS trigger LANGUAGE plpgsql
    SECURITY DEFINER SET search_path = public AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM analytics_mark(min(start_date), max(end_date)) FROM old_rows;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        PERFORM analytics_mark(min(start_date), max(end_date)) FROM new_rows;
    END IF;
    RETURN NULL;
END $$;

-- Policies: when what a figure reads of them changes (carrier, line, agent, status and its
-- date, premium), every month of their periods, of their status change and of their claims.
CREATE FUNCTION analytics_dirty_policies() RETURNS trigger LANGUAGE plpgsql
    SECURITY DEFINER SET search_path = public AS $$
BEGIN
    PERFORM analytics_mark(lo, hi)
    FROM (SELECT least(min(pp.start_date), min(o.status_changed_on), min(n.status_changed_on),
                       min(cl.incident_date)) AS lo,
                 greatest(max(pp.end_date), max(o.status_changed_on), max(n.status_changed_on),
                          max(cl.incident_date)) AS hi
          FROM old_rows o
          JOIN new_rows n ON n.id = o.id
          LEFT JOIN policy_periods pp ON pp.policy_id = o.id
          LEFT JOIN claims cl ON cl.policy_id = o.id
          WHERE (o.carrier_id, o.line_id, o.agent_staff_id, o.customer_id, o.status,
                 o.status_changed_on, o.status_reason, o.start_date, o.total_premium_cents,
                 o.net_premium_cents)
                IS DISTINCT FROM
                (n.carrier_id, n.line_id, n.agent_staff_id, n.customer_id, n.status,
                 n.status_changed_on, n.status_reason, n.start_date, n.total_premium_cents,
                 n.net_premium_cents)) AS changed;
    RETURN NULL;
END $$;

-- Claims, receipts and commission lines: the month of their date.
CREATE FUNCTION analytics_dirty_claims() RETURNS trigger LANGUAGE plpgsql
    SECURITY DEFINER SET search_path = public AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM analytics_mark(d, d) FROM (SELECT DISTINCT incident_date AS d FROM old_rows) AS x;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        PERFORM analytics_mark(d, d) FROM (SELECT DISTINCT incident_date AS d FROM new_rows) AS x;
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION analytics_dirty_receipts() RETURNS trigger LANGUAGE plpgsql
    SECURITY DEFINER SET search_path = public AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM analytics_mark(d, d) FROM (SELECT DISTINCT due_date AS d FROM old_rows) AS x;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        PERFORM analytics_mark(d, d) FROM (SELECT DISTINCT due_date AS d FROM new_rows) AS x;
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION analytics_dirty_commissions() RETURNS trigger LANGUAGE plpgsql
    SECURITY DEFINER SET search_path = public AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM analytics_mark(d, d) FROM (SELECT DISTINCT booked_on AS d FROM old_rows) AS x;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        PERFORM analytics_mark(d, d) FROM (SELECT DISTINCT booked_on AS d FROM new_rows) AS x;
    END IF;
    RETURN NULL;
END $$;

-- New business by lead source: a quote tied to a policy, or a lead tied to a customer, decides
-- the source of the policy's first month.
CREATE FUNCTION analytics_dirty_quotes() RETURNS trigger LANGUAGE plpgsql
    SECURITY DEFINER SET search_path = public AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM analytics_mark(d, d)
        FROM (SELECT DISTINCT (SELECT min(pp.start_date) FROM policy_periods pp
                                WHERE pp.policy_id = q.policy_id) AS d
              FROM old_rows q WHERE q.policy_id IS NOT NULL) AS x;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        PERFORM analytics_mark(d, d)
        FROM (SELECT DISTINCT (SELECT min(pp.start_date) FROM policy_periods pp
                                WHERE pp.policy_id = q.policy_id) AS d
              FROM new_rows q WHERE q.policy_id IS NOT NULL) AS x;
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION analytics_dirty_leads() RETURNS trigger LANGUAGE plpgsql
    SECURITY DEFINER SET search_path = public AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM analytics_mark(d, d)
        FROM (SELECT DISTINCT (SELECT min(pp.start_date) FROM policy_periods pp
                                WHERE pp.policy_id = p.id) AS d
              FROM old_rows l JOIN policies p ON p.customer_id = l.customer_id) AS x;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        PERFORM analytics_mark(d, d)
        FROM (SELECT DISTINCT (SELECT min(pp.start_date) FROM policy_periods pp
                                WHERE pp.policy_id = p.id) AS d
              FROM new_rows l JOIN policies p ON p.customer_id = l.customer_id) AS x;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER analytics_dirty_insert AFTER INSERT ON policy_periods
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION analytics_dirty_periods();
CREATE TRIGGER analytics_dirty_update AFTER UPDATE ON policy_periods
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION analytics_dirty_periods();
CREATE TRIGGER analytics_dirty_delete AFTER DELETE ON policy_periods
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION analytics_dirty_periods();

CREATE TRIGGER analytics_dirty_update AFTER UPDATE ON policies
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION analytics_dirty_policies();

CREATE TRIGGER analytics_dirty_insert AFTER INSERT ON claims
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION analytics_dirty_claims();
CREATE TRIGGER analytics_dirty_update AFTER UPDATE ON claims
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION analytics_dirty_claims();
CREATE TRIGGER analytics_dirty_delete AFTER DELETE ON claims
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION analytics_dirty_claims();

CREATE TRIGGER analytics_dirty_insert AFTER INSERT ON receipts
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION analytics_dirty_receipts();
CREATE TRIGGER analytics_dirty_update AFTER UPDATE ON receipts
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION analytics_dirty_receipts();
CREATE TRIGGER analytics_dirty_delete AFTER DELETE ON receipts
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION analytics_dirty_receipts();

CREATE TRIGGER analytics_dirty_insert AFTER INSERT ON commissions
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION analytics_dirty_commissions();
CREATE TRIGGER analytics_dirty_update AFTER UPDATE ON commissions
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION analytics_dirty_commissions();
CREATE TRIGGER analytics_dirty_delete AFTER DELETE ON commissions
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION analytics_dirty_commissions();

CREATE TRIGGER analytics_dirty_insert AFTER INSERT ON quotes
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION analytics_dirty_quotes();
CREATE TRIGGER analytics_dirty_update AFTER UPDATE ON quotes
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION analytics_dirty_quotes();
CREATE TRIGGER analytics_dirty_delete AFTER DELETE ON quotes
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION analytics_dirty_quotes();

CREATE TRIGGER analytics_dirty_insert AFTER INSERT ON leads
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION analytics_dirty_leads();
CREATE TRIGGER analytics_dirty_update AFTER UPDATE ON leads
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION analytics_dirty_leads();
CREATE TRIGGER analytics_dirty_delete AFTER DELETE ON leads
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION analytics_dirty_leads();

-- The book's ends (portfolio): policies stopped (cancelled or suspended) on a day in a range.
CREATE INDEX policies_stopped_on_idx ON policies (status_changed_on)
    WHERE status IN ('cancelled', 'suspended');
