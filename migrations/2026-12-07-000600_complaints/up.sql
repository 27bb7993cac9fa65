-- The customer service department (SAC): complaints ("quejas") and claims ("reclamaciones")
-- against the brokerage, received from e-SORI, the public form on the site, or typed by staff
-- from a letter, an e-mail or a call (Ley 10/2025; Orden ECO/734/2004). Each one has a
-- tracking reference given at once, a deadline counted in working days, a reasoned answer
-- with its outcome, and, when the complainant goes further, the escalation and its reference.

-- How many working days the department has to answer, and how many before the end it warns:
-- one row, changed by the department.
CREATE TABLE complaint_settings (
    id                  SMALLINT PRIMARY KEY DEFAULT 1 CHECK (id = 1),
    deadline_days       INTEGER NOT NULL DEFAULT 15 CHECK (deadline_days BETWEEN 1 AND 60),
    warning_days        INTEGER NOT NULL DEFAULT 3 CHECK (warning_days BETWEEN 0 AND 30),
    updated_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_by_staff_id BIGINT REFERENCES staff_users (id)
);
INSERT INTO complaint_settings (id) VALUES (1);

-- The yearly counter behind the references (SAC-2026-00001): gapless per year under the
-- row lock, so the annual report's numbering has no holes.
CREATE TABLE complaint_counters (
    year    INTEGER PRIMARY KEY,
    last    INTEGER NOT NULL
);

CREATE TABLE complaints (
    id                   BIGSERIAL PRIMARY KEY,
    reference            TEXT NOT NULL UNIQUE,
    kind                 TEXT NOT NULL CHECK (kind IN ('complaint', 'claim')),
    channel              TEXT NOT NULL CHECK (channel IN (
                             'portal', 'web', 'letter', 'email', 'phone', 'in_person')),
    customer_id          BIGINT REFERENCES customers (id),
    policy_id            BIGINT REFERENCES policies (id),
    -- A policy number typed on the public form: kept as typed, never linked by itself (anyone
    -- can type a number; staff link the complaint after checking who wrote).
    policy_number_given  TEXT CHECK (length(policy_number_given) <= 50),
    complainant_name     TEXT NOT NULL CHECK (length(complainant_name) BETWEEN 1 AND 200),
    complainant_email    TEXT CHECK (length(complainant_email) <= 254),
    complainant_phone    TEXT CHECK (length(complainant_phone) <= 30),
    complainant_tax_id   TEXT CHECK (length(complainant_tax_id) <= 20),
    subject              TEXT NOT NULL CHECK (length(subject) BETWEEN 1 AND 200),
    description          TEXT NOT NULL CHECK (length(description) BETWEEN 1 AND 8000),
    wants_human          BOOLEAN NOT NULL DEFAULT false,
    received_on          DATE NOT NULL,
    due_on               DATE NOT NULL CHECK (due_on >= received_on),
    status               TEXT NOT NULL DEFAULT 'open'
                             CHECK (status IN ('open', 'answered', 'withdrawn')),
    assigned_staff_id    BIGINT REFERENCES staff_users (id),
    answer               TEXT CHECK (length(answer) <= 16000),
    outcome              TEXT CHECK (outcome IN ('in_favour', 'partly', 'against', 'withdrawn')),
    closed_at            TIMESTAMPTZ,
    closed_by_staff_id   BIGINT REFERENCES staff_users (id),
    escalated_to         TEXT CHECK (escalated_to IN ('ombudsman', 'dgsfp')),
    escalation_reference TEXT CHECK (length(escalation_reference) <= 100),
    escalated_on         DATE,
    -- When the department was warned that the deadline is near (once per complaint).
    warned_at            TIMESTAMPTZ,
    created_by_staff_id  BIGINT REFERENCES staff_users (id),
    created_at           TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at           TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- Someone must be reachable for the answer (a letter carries its postal address in the
    -- description).
    CHECK (complainant_email IS NOT NULL OR complainant_phone IS NOT NULL OR channel = 'letter'),
    -- Open means no outcome yet; closed means an outcome, an answer (or a withdrawal) and when.
    CHECK ((status = 'open') = (outcome IS NULL AND closed_at IS NULL)),
    CHECK (status <> 'answered' OR (answer IS NOT NULL AND outcome <> 'withdrawn')),
    CHECK (status <> 'withdrawn' OR outcome = 'withdrawn'),
    CHECK ((escalated_to IS NULL) = (escalated_on IS NULL))
);
-- The open queue by deadline, a customer's complaints, and the annual report by date.
CREATE INDEX complaints_open_due_idx ON complaints (due_on, id) WHERE status = 'open';
CREATE INDEX complaints_customer_idx ON complaints (customer_id) WHERE customer_id IS NOT NULL;
CREATE INDEX complaints_received_idx ON complaints (received_on, id);

-- The file of a complaint: internal notes, assignments, the answer, the escalation; notes
-- are never shown to the complainant.
CREATE TABLE complaint_events (
    id           BIGSERIAL PRIMARY KEY,
    complaint_id BIGINT NOT NULL REFERENCES complaints (id) ON DELETE CASCADE,
    kind         TEXT NOT NULL CHECK (kind IN (
                     'received', 'note', 'assigned', 'answered', 'withdrawn', 'escalated',
                     'human_requested')),
    body         TEXT NOT NULL CHECK (length(body) <= 8000),
    staff_id     BIGINT REFERENCES staff_users (id),
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX complaint_events_complaint_idx ON complaint_events (complaint_id, created_at, id);

-- e-SORI: a client files a complaint about their own affairs and reads its answer (never the
-- internal notes), and asks for a person at any time.
GRANT SELECT, INSERT ON complaints TO soriano_portal;
GRANT UPDATE (wants_human, updated_at) ON complaints TO soriano_portal;
GRANT USAGE ON SEQUENCE complaints_id_seq TO soriano_portal;
GRANT SELECT, UPDATE ON complaint_counters TO soriano_portal;
GRANT INSERT ON complaint_counters TO soriano_portal;
GRANT SELECT ON complaint_settings TO soriano_portal;
GRANT INSERT ON complaint_events TO soriano_portal;
GRANT USAGE ON SEQUENCE complaint_events_id_seq TO soriano_portal;
ALTER TABLE complaints ENABLE ROW LEVEL SECURITY;
CREATE POLICY portal_own ON complaints FOR SELECT TO soriano_portal
    USING (customer_id = portal_customer_id());
CREATE POLICY portal_own_insert ON complaints FOR INSERT TO soriano_portal
    WITH CHECK (customer_id = portal_customer_id() AND channel = 'portal' AND status = 'open'
                AND assigned_staff_id IS NULL AND created_by_staff_id IS NULL
                AND (policy_id IS NULL OR policy_id IN
                     (SELECT id FROM policies WHERE customer_id = portal_customer_id())));
CREATE POLICY portal_own_update ON complaints FOR UPDATE TO soriano_portal
    USING (customer_id = portal_customer_id())
    WITH CHECK (customer_id = portal_customer_id());
ALTER TABLE complaint_events ENABLE ROW LEVEL SECURITY;
CREATE POLICY portal_own_insert ON complaint_events FOR INSERT TO soriano_portal
    WITH CHECK (staff_id IS NULL AND kind IN ('received', 'human_requested')
                AND complaint_id IN (SELECT id FROM complaints
                                     WHERE customer_id = portal_customer_id()));

-- The e-SORI form is guarded against a double send by form_submissions: the portal may see a
-- token attached to one of its own complaints, as it can for its claims and mandates.
DROP POLICY portal_own ON form_submissions;
CREATE POLICY portal_own ON form_submissions TO soriano_portal
    USING (entity_id IS NULL
           OR (entity_type = 'claim'
               AND entity_id IN (SELECT id FROM claims WHERE customer_id = portal_customer_id()))
           OR (entity_type = 'sepa_mandate'
               AND entity_id IN (SELECT id FROM sepa_mandates WHERE customer_id = portal_customer_id()))
           OR (entity_type = 'complaint'
               AND entity_id IN (SELECT id FROM complaints WHERE customer_id = portal_customer_id())))
    WITH CHECK (entity_id IS NULL
           OR (entity_type = 'claim'
               AND entity_id IN (SELECT id FROM claims WHERE customer_id = portal_customer_id()))
           OR (entity_type = 'sepa_mandate'
               AND entity_id IN (SELECT id FROM sepa_mandates WHERE customer_id = portal_customer_id()))
           OR (entity_type = 'complaint'
               AND entity_id IN (SELECT id FROM complaints WHERE customer_id = portal_customer_id())));
