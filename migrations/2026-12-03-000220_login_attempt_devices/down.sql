DROP INDEX login_attempts_device_idx;
ALTER TABLE login_attempts DROP COLUMN device;
