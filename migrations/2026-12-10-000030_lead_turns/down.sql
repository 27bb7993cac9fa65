CREATE TABLE lead_rotation (
    pool                TEXT PRIMARY KEY,
    last_staff_id       BIGINT REFERENCES staff_users (id)
);
INSERT INTO lead_rotation (pool, last_staff_id)
SELECT DISTINCT ON (pool) pool, staff_id FROM lead_turns
WHERE last_assigned_at IS NOT NULL ORDER BY pool, last_assigned_at DESC;
DROP TABLE lead_turns;
