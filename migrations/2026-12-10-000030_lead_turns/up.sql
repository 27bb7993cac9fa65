-- Round robin without a shared row. The rotation kept one cursor row per pool and locked it
-- while choosing, so every landing form sent at the same time queued on that row until the
-- previous lead's transaction had committed (its WAL flush included): at 64 visitors at
-- once, the landing form's throughput was one commit at a time. Each agent of a pool now has
-- their own turn row with when they last got a lead; the next lead goes to the one who waited
-- longest among the rows no other submission holds (FOR UPDATE SKIP LOCKED), so as many leads
-- as there are agents are assigned at once, each still to the agent next in turn.
CREATE TABLE lead_turns (
    pool             TEXT NOT NULL,
    staff_id         BIGINT NOT NULL REFERENCES staff_users (id),
    last_assigned_at TIMESTAMPTZ,
    PRIMARY KEY (pool, staff_id)
);

-- The cursor becomes the last agent's turn.
INSERT INTO lead_turns (pool, staff_id, last_assigned_at)
SELECT pool, last_staff_id, now() FROM lead_rotation WHERE last_staff_id IS NOT NULL;

DROP TABLE lead_rotation;
