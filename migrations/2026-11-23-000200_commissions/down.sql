DROP TRIGGER commissions_frozen_when_settled ON commissions;
DROP FUNCTION commissions_frozen_when_settled();
DROP TABLE commissions;
DROP TABLE carrier_settlements;
ALTER TABLE staff_users DROP COLUMN agent_share_bp;
