-- Synthetic book for measuring the analytics reports (issue 23) at volume: after
-- `soriano seed --demo --customers 100000`, two policies for each synthetic customer
-- (200,000), with a period of cover per year since their start date (three years back at most;
-- one in seven was not renewed after its first year, one in twenty was cancelled for non
-- payment), one receipt per period, a claim for one policy in eight and a commission line per
-- collected receipt. Deterministic (hashes of the ids), so two runs measure the same book.
--
--   psql "$DATABASE_URL" -f scripts/analytics-volume.sql
--
-- Not part of the application: the reports' own tests use small fixed fixtures.

BEGIN;

CREATE TEMP TABLE analytics_catalogue AS
SELECT row_number() OVER (ORDER BY id) - 1 AS n, id, carrier_id, line_id
FROM products WHERE active;

CREATE TEMP TABLE analytics_source AS
SELECT c.id AS customer_id, k, abs(hashtext(c.id || '-' || k)) AS h
FROM customers c CROSS JOIN generate_series(1, 2) AS k
WHERE c.email LIKE 'cliente%@ejemplo.es' AND c.merged_into_id IS NULL;

CREATE TEMP TABLE analytics_policies AS
SELECT s.customer_id, s.k, s.h, p.id AS product_id, p.carrier_id, p.line_id,
       (current_date - (s.h % 1095)::int) AS first_start,
       (20000 + s.h % 150000)::int8 AS net,
       (s.h % 7 = 0) AS lost,
       (s.h % 20 = 1) AS cancelled
FROM analytics_source s
JOIN analytics_catalogue p ON p.n = s.h % (SELECT count(*) FROM analytics_catalogue);

-- Periods: one per year from the first start, up to the one covering today (only the first
-- for the lost ones).
CREATE TEMP TABLE analytics_periods AS
SELECT a.customer_id, a.k, i,
       (a.first_start + make_interval(years => i))::date AS start_date,
       (a.first_start + make_interval(years => i + 1))::date AS end_date,
       a.net + a.net * i / 20 AS net
FROM analytics_policies a
CROSS JOIN LATERAL generate_series(
    0, CASE WHEN a.lost THEN 0 ELSE ((current_date - a.first_start) / 365) END) AS i;

INSERT INTO policies (customer_id, carrier_id, product_id, line_id, number, status,
                      start_date, end_date, net_premium_cents, total_premium_cents,
                      payment_frequency, status_reason, status_changed_on, sale_exemption)
SELECT last.customer_id, a.carrier_id, a.product_id, a.line_id,
       'AN-' || a.customer_id || '-' || a.k,
       CASE WHEN a.cancelled THEN 'cancelled'
            WHEN last.end_date <= current_date THEN 'expired' ELSE 'active' END,
       last.start_date, last.end_date, last.net, last.net + last.net / 10, 'annual',
       CASE WHEN a.cancelled THEN 'Impago' WHEN last.end_date <= current_date THEN 'No renovada' END,
       CASE WHEN a.cancelled THEN last.start_date + (a.h % 300)::int
            WHEN last.end_date <= current_date THEN last.end_date END,
       'Datos sintéticos de medida'
FROM analytics_policies a
JOIN (SELECT DISTINCT ON (customer_id, k) * FROM analytics_periods
      ORDER BY customer_id, k, i DESC) last
  ON last.customer_id = a.customer_id AND last.k = a.k;


INSERT INTO policy_periods (policy_id, start_date, end_date, net_premium_cents, total_premium_cents)
SELECT pol.id, p.start_date, p.end_date, p.net, p.net + p.net / 10
FROM analytics_periods p
JOIN policies pol ON pol.number = 'AN-' || p.customer_id || '-' || p.k;

INSERT INTO receipts (policy_id, customer_id, policy_period_id, number, period_start, period_end,
                      due_date, amount_cents, net_cents, status, collected_on, returned_on,
                      return_reason)
SELECT pp.policy_id, pol.customer_id, pp.id, 'AN-R-' || pp.id, pp.start_date, pp.end_date,
       pp.start_date, pp.total_premium_cents, pp.net_premium_cents,
       CASE WHEN pp.start_date > current_date - 20 THEN 'pendiente'
            WHEN pp.id % 25 = 0 THEN 'devuelto' ELSE 'cobrado' END,
       CASE WHEN pp.start_date <= current_date - 20 AND pp.id % 25 <> 0 THEN pp.start_date + 3 END,
       CASE WHEN pp.start_date <= current_date - 20 AND pp.id % 25 = 0 THEN pp.start_date + 5 END,
       CASE WHEN pp.start_date <= current_date - 20 AND pp.id % 25 = 0
            THEN 'Devuelto por el banco: cuenta sin fondos' END
FROM policy_periods pp
JOIN policies pol ON pol.id = pp.policy_id
WHERE pol.number LIKE 'AN-%';

INSERT INTO claims (number, policy_id, customer_id, incident_date, kind, description, status,
                    claimed_cents, accepted_cents, paid_cents)
SELECT 'AN-S-' || pol.id, pol.id, pol.customer_id,
       pol.start_date + (pol.id % 200)::int, 'colisión', 'Siniestro sintético de medida',
       CASE WHEN pol.id % 3 = 0 THEN 'paid' WHEN pol.id % 3 = 1 THEN 'accepted' ELSE 'open' END,
       50000 + pol.id % 100000,
       CASE WHEN pol.id % 3 <> 2 THEN 40000 + pol.id % 80000 END,
       CASE WHEN pol.id % 3 = 0 THEN 40000 + pol.id % 80000
            WHEN pol.id % 3 = 1 THEN 10000 END
FROM policies pol
WHERE pol.number LIKE 'AN-%' AND pol.id % 8 = 0 AND pol.start_date + (pol.id % 200)::int <= current_date;

INSERT INTO commissions (receipt_id, kind, carrier_id, product_id, policy_id, agent_staff_id,
                         renewal, base_cents, rate_bp, amount_cents, agent_share_bp,
                         agent_amount_cents, booked_on)
SELECT r.id, 'earned', pol.carrier_id, pol.product_id, pol.id, pol.agent_staff_id,
       r.period_start > pol.start_date - 1 AND r.period_start <> (SELECT min(start_date) FROM policy_periods x WHERE x.policy_id = pol.id),
       r.net_cents, 1000, r.net_cents / 10, 0, 0, r.collected_on
FROM receipts r
JOIN policies pol ON pol.id = r.policy_id
WHERE r.number LIKE 'AN-R-%' AND r.status = 'cobrado';

COMMIT;

ANALYZE policies;
ANALYZE policy_periods;
ANALYZE receipts;
ANALYZE claims;
ANALYZE commissions;
