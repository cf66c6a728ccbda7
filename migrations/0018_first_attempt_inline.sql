-- A webhook delivered at its first attempt keeps that attempt in its own row (issue 25): the
-- update that records the delivery writes `first_attempt`, and no `delivery_attempts` row is
-- inserted (a row and two index entries: 3 of a finished task's 14 rows written). Only an attempt
-- made within FIRST_ATTEMPT_INLINE_MS of the message's creation is kept so, which bounds the
-- endpoints' 24-hour figures' read of it to a range of `messages_endpoint_created`
-- (src/storage/first-attempt.ts). `message_attempts` lists every attempt, both kinds, in order.
-- A Worker from before this migration ignores the column: while it still runs, it logs every
-- attempt as before and lists only the logged ones. drizzle-kit generates the ALTER from
-- src/storage/schema.ts (meta/0018_snapshot.json); the view is written here by hand (the schema
-- declares it `.existing()`).
ALTER TABLE `messages` ADD `first_attempt` text;--> statement-breakpoint
CREATE VIEW `message_attempts` AS
  SELECT id AS message_id, endpoint_id, 0 AS seq, first_attempt ->> 'attempted_at' AS attempted_at,
    first_attempt ->> 'status_code' AS status_code, NULL AS error, first_attempt ->> 'duration_ms' AS duration_ms,
    first_attempt ->> 'response_body' AS response_body
  FROM messages WHERE first_attempt IS NOT NULL
  UNION ALL
  SELECT message_id, endpoint_id, id AS seq, attempted_at, status_code, error, duration_ms, response_body FROM delivery_attempts;
