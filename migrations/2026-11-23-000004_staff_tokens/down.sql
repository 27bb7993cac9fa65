DROP INDEX staff_users_name_idx;
DROP TABLE rate_limit_hits;
DROP TABLE staff_tokens;
