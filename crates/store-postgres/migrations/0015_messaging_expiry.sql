-- The worker expires queued messages past their validity every 30 seconds
-- (`expire_messages`), and found them by reading every message: with
-- 2,000,000 in the outbox, a scan of 0.7-1.5 s each time, during which that
-- node's worker sent nothing. Queued messages by their expiry: the few past
-- it are found at once. A bulk SMS or an inquiry's run gives all its
-- messages the same expiry, so their entries go together at the end.
CREATE INDEX messages_expiry ON messages(expires_at) WHERE state = 'queued';
