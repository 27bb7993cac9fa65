-- Which worker holds a 'sending' row (src/mail/worker.rs, `WorkerId`). Claims now last 30 s
-- and are renewed by the worker's heartbeat while it sends (`locked_until`), and a worker that
-- restarts with the same identity frees its own dead claims at once instead of waiting.
ALTER TABLE outbound_emails ADD COLUMN claimed_by TEXT;
