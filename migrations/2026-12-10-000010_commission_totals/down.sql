DROP TRIGGER commission_totals_delete ON commissions;
DROP TRIGGER commission_totals_update ON commissions;
DROP TRIGGER commission_totals_insert ON commissions;
DROP FUNCTION commission_totals_apply();
DROP TABLE commission_totals;
