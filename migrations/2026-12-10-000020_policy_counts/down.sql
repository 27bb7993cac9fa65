DROP TRIGGER policy_counts_owner ON customers;
DROP FUNCTION policy_counts_from_customers();
DROP TRIGGER policy_counts_delete ON policies;
DROP TRIGGER policy_counts_update ON policies;
DROP TRIGGER policy_counts_insert ON policies;
DROP FUNCTION policy_counts_from_policies();
DROP FUNCTION policy_counts_add(BIGINT, BIGINT, BIGINT, BIGINT);
DROP TABLE policy_counts;
