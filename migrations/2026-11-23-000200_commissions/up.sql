-- Comisiones y liquidaciones: the broker's commission on every collected receipt (a negative
-- line when a collected receipt is returned), the monthly settlements (liquidaciones) with
-- each carrier, and the share of the commission each agent earns.

-- The agent's share of the broker's commission, in basis points (1500 = 15 %). 0 for staff
-- who do not sell.
ALTER TABLE staff_users
    ADD COLUMN agent_share_bp INTEGER NOT NULL DEFAULT 0
        CHECK (agent_share_bp BETWEEN 0 AND 10000);

-- One statement of commissions with a carrier for one month:
-- borrador (draft, lines still gathered) → emitida (sent to the carrier, frozen) → cobrada
-- (the carrier paid; what it paid is kept next to what was expected).
CREATE TABLE carrier_settlements (
    id                  BIGSERIAL PRIMARY KEY,
    carrier_id          BIGINT NOT NULL REFERENCES carriers (id),
    -- The first day of the month it settles.
    period              DATE NOT NULL CHECK (extract(day FROM period) = 1),
    status              TEXT NOT NULL DEFAULT 'borrador'
                        CHECK (status IN ('borrador', 'emitida', 'cobrada')),
    -- Sums of its lines, recomputed while a draft, frozen when issued.
    line_count          INTEGER NOT NULL DEFAULT 0 CHECK (line_count >= 0),
    base_cents          BIGINT NOT NULL DEFAULT 0,
    total_cents         BIGINT NOT NULL DEFAULT 0,
    agent_cents         BIGINT NOT NULL DEFAULT 0,
    created_by_staff_id BIGINT REFERENCES staff_users (id),
    issued_at           TIMESTAMPTZ,
    issued_by_staff_id  BIGINT REFERENCES staff_users (id),
    -- The day the carrier's money came in and how much it was.
    paid_on             DATE,
    received_cents      BIGINT CHECK (received_cents >= 0),
    paid_at             TIMESTAMPTZ,
    paid_by_staff_id    BIGINT REFERENCES staff_users (id),
    created_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- Creating the draft twice finds the first one.
    UNIQUE (carrier_id, period),
    CHECK (status = 'borrador' OR issued_at IS NOT NULL),
    CHECK (status <> 'cobrada'
           OR (paid_on IS NOT NULL AND received_cents IS NOT NULL AND paid_at IS NOT NULL))
);
-- The settlements page: newest month first, optionally one carrier.
CREATE INDEX carrier_settlements_period_idx ON carrier_settlements (period DESC, id DESC);

-- One line per collected receipt (kind 'earned') and one negative line when a collected
-- receipt is returned (kind 'reversal', the exact opposite of the line it reverses).
-- Amounts are integer cents: amount = base × rate / 10 000 rounded half away from zero
-- (`commissions::rules::commission_cents`), so a reversal cancels its line to the cent.
CREATE TABLE commissions (
    id                  BIGSERIAL PRIMARY KEY,
    receipt_id          BIGINT NOT NULL REFERENCES receipts (id),
    kind                TEXT NOT NULL CHECK (kind IN ('earned', 'reversal')),
    -- A returned receipt may be collected again: its nth collection (1 the first time) and
    -- that collection's reversal share the number.
    collection          INTEGER NOT NULL DEFAULT 1 CHECK (collection >= 1),
    carrier_id          BIGINT NOT NULL REFERENCES carriers (id),
    product_id          BIGINT NOT NULL REFERENCES products (id),
    policy_id           BIGINT NOT NULL REFERENCES policies (id),
    -- The policy's agent, else the customer's owner, when the receipt was collected.
    agent_staff_id      BIGINT REFERENCES staff_users (id),
    -- Later periods of the policy earn the product's renewal rate.
    renewal             BOOLEAN NOT NULL,
    -- The receipt's net premium.
    base_cents          BIGINT NOT NULL,
    rate_bp             INTEGER NOT NULL CHECK (rate_bp BETWEEN 0 AND 10000),
    amount_cents        BIGINT NOT NULL,
    -- The agent's share as it was when the line was made.
    agent_share_bp      INTEGER NOT NULL DEFAULT 0 CHECK (agent_share_bp BETWEEN 0 AND 10000),
    agent_amount_cents  BIGINT NOT NULL DEFAULT 0,
    -- The collection date (earned) or the return date (reversal): the month it counts in.
    booked_on           DATE NOT NULL,
    settlement_id       BIGINT REFERENCES carrier_settlements (id),
    created_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (receipt_id, kind, collection),
    CHECK ((kind = 'earned' AND base_cents >= 0 AND amount_cents >= 0 AND agent_amount_cents >= 0)
        OR (kind = 'reversal' AND base_cents <= 0 AND amount_cents <= 0 AND agent_amount_cents <= 0))
);
-- Gathering a draft: a carrier's unsettled lines up to a month's end.
CREATE INDEX commissions_unsettled_idx ON commissions (carrier_id, booked_on)
    WHERE settlement_id IS NULL;
-- A settlement's lines.
CREATE INDEX commissions_settlement_idx ON commissions (settlement_id, id)
    WHERE settlement_id IS NOT NULL;
-- The list (newest first, keyset) and the monthly reports.
CREATE INDEX commissions_booked_idx ON commissions (booked_on DESC, id DESC);
CREATE INDEX commissions_agent_booked_idx ON commissions (agent_staff_id, booked_on DESC, id DESC);
CREATE INDEX commissions_carrier_booked_idx ON commissions (carrier_id, booked_on DESC, id DESC);

-- An issued settlement is what the carrier received: its lines cannot change, leave it or
-- join it, whatever the code above does.
CREATE FUNCTION commissions_frozen_when_settled() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.settlement_id IS NOT NULL AND EXISTS (
        SELECT 1 FROM carrier_settlements s
         WHERE s.id = OLD.settlement_id AND s.status <> 'borrador') THEN
        RAISE EXCEPTION 'commission % belongs to an issued settlement', OLD.id
            USING ERRCODE = 'check_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    IF NEW.settlement_id IS NOT NULL AND EXISTS (
        SELECT 1 FROM carrier_settlements s
         WHERE s.id = NEW.settlement_id AND s.status <> 'borrador') THEN
        RAISE EXCEPTION 'settlement % is issued: no lines can join it', NEW.settlement_id
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER commissions_frozen_when_settled
    BEFORE UPDATE OR DELETE ON commissions
    FOR EACH ROW EXECUTE FUNCTION commissions_frozen_when_settled();

