-- The commissions list shows the count and sums of every line its filters select, on every
-- page. Summing hundreds of thousands of lines per request made it the slowest page of the
-- back-office; these running totals, one row per month × carrier × agent × settled, answer the
-- same question from a few hundred rows. The list's filters are exactly these four keys (an
-- agent's scope is their own agent id), so any combination is a sum over matching rows.
CREATE TABLE commission_totals (
    month          DATE NOT NULL CHECK (extract(day FROM month) = 1),
    carrier_id     BIGINT NOT NULL REFERENCES carriers (id),
    agent_staff_id BIGINT REFERENCES staff_users (id),
    settled        BOOLEAN NOT NULL,
    lines          BIGINT NOT NULL,
    base_cents     BIGINT NOT NULL,
    amount_cents   BIGINT NOT NULL,
    agent_cents    BIGINT NOT NULL
);
CREATE UNIQUE INDEX commission_totals_key
    ON commission_totals (month, carrier_id, (coalesce(agent_staff_id, 0)), settled);

-- Kept by statement-level triggers over the transition tables, so a statement that touches
-- many lines (a settlement taking a month's lines) updates each total once, by its delta.
CREATE FUNCTION commission_totals_apply() RETURNS trigger LANGUAGE plpgsql
    SECURITY DEFINER SET search_path = public AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        INSERT INTO commission_totals AS t
            (month, carrier_id, agent_staff_id, settled, lines, base_cents, amount_cents, agent_cents)
        SELECT date_trunc('month', booked_on)::date, carrier_id, agent_staff_id,
               settlement_id IS NOT NULL, -count(*), -sum(base_cents), -sum(amount_cents),
               -sum(agent_amount_cents)
        FROM old_lines
        GROUP BY 1, 2, 3, 4
        ON CONFLICT (month, carrier_id, (coalesce(agent_staff_id, 0)), settled) DO UPDATE
            SET lines = t.lines + excluded.lines,
                base_cents = t.base_cents + excluded.base_cents,
                amount_cents = t.amount_cents + excluded.amount_cents,
                agent_cents = t.agent_cents + excluded.agent_cents;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO commission_totals AS t
            (month, carrier_id, agent_staff_id, settled, lines, base_cents, amount_cents, agent_cents)
        SELECT date_trunc('month', booked_on)::date, carrier_id, agent_staff_id,
               settlement_id IS NOT NULL, count(*), sum(base_cents), sum(amount_cents),
               sum(agent_amount_cents)
        FROM new_lines
        GROUP BY 1, 2, 3, 4
        ON CONFLICT (month, carrier_id, (coalesce(agent_staff_id, 0)), settled) DO UPDATE
            SET lines = t.lines + excluded.lines,
                base_cents = t.base_cents + excluded.base_cents,
                amount_cents = t.amount_cents + excluded.amount_cents,
                agent_cents = t.agent_cents + excluded.agent_cents;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER commission_totals_insert AFTER INSERT ON commissions
    REFERENCING NEW TABLE AS new_lines
    FOR EACH STATEMENT EXECUTE FUNCTION commission_totals_apply();
CREATE TRIGGER commission_totals_update AFTER UPDATE ON commissions
    REFERENCING OLD TABLE AS old_lines NEW TABLE AS new_lines
    FOR EACH STATEMENT EXECUTE FUNCTION commission_totals_apply();
CREATE TRIGGER commission_totals_delete AFTER DELETE ON commissions
    REFERENCING OLD TABLE AS old_lines
    FOR EACH STATEMENT EXECUTE FUNCTION commission_totals_apply();

INSERT INTO commission_totals
    (month, carrier_id, agent_staff_id, settled, lines, base_cents, amount_cents, agent_cents)
SELECT date_trunc('month', booked_on)::date, carrier_id, agent_staff_id,
       settlement_id IS NOT NULL, count(*), sum(base_cents), sum(amount_cents),
       sum(agent_amount_cents)
FROM commissions
GROUP BY 1, 2, 3, 4;
