-- Kannel posts an incoming SMS again when it saw no answer (30 times, 2
-- seconds apart), also when Diwan had taken it: the time Kannel received
-- it (X-Kannel-Time) tells a repeat from a new SMS of the same words.
ALTER TABLE incoming_messages ADD COLUMN gateway_time TEXT;
CREATE INDEX incoming_messages_repeat ON incoming_messages(sender, gateway_time) WHERE gateway_time IS NOT NULL;
