DROP TRIGGER analytics_holdings_update ON policies;
DROP TRIGGER analytics_holdings_delete ON policy_periods;
DROP TRIGGER analytics_holdings_update ON policy_periods;
DROP TRIGGER analytics_holdings_insert ON policy_periods;
DROP FUNCTION analytics_holdings_dirty_policies();
DROP FUNCTION analytics_holdings_dirty_periods();
DROP TABLE analytics_holdings_dirty;
DROP TABLE analytics_holdings_built;
DROP TABLE analytics_holdings;
