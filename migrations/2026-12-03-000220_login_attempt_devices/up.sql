-- Sign-in attempts from a known device (a browser where the account signed in before, shown
-- by its signed cookie) are counted per device, apart from the account's other attempts, so
-- that a flood of guesses from elsewhere cannot lock the owner out (src/auth/throttle.rs).
-- The column holds a hash of the cookie's token; NULL for attempts from unknown browsers.
ALTER TABLE login_attempts ADD COLUMN device TEXT;
CREATE INDEX login_attempts_device_idx ON login_attempts (device, attempted_at DESC)
    WHERE device IS NOT NULL;
