ALTER TABLE sessions DROP COLUMN user_agent;
ALTER TABLE sessions DROP COLUMN ip;
ALTER TABLE sessions DROP COLUMN id;
DROP TABLE login_attempts;
