CREATE TABLE `__new_messages` (
	`id` text PRIMARY KEY NOT NULL,
	`subscription_id` text NOT NULL,
	`event_type` text NOT NULL,
	`event_at` integer DEFAULT 0 NOT NULL,
	`metadata` text,
	`reason` text,
	`data` text,
	`body` text,
	`status` text NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`schedule_step` integer DEFAULT 0 NOT NULL,
	`next_attempt_at` integer,
	`lease_token` text,
	`last_status_code` integer,
	`last_error` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`delivered_at` integer
);
--> statement-breakpoint
-- Messages made before this migration carry only their body: their facts are read back from it
-- (the timestamp digit for digit, metadata and data as the JSON texts the body holds). A message
-- already attempted (or being attempted) keeps its body too, and is sent with those same bytes.
INSERT INTO `__new_messages`("id", "subscription_id", "event_type", "event_at", "metadata", "reason", "data", "body", "status", "attempts", "schedule_step", "next_attempt_at", "lease_token", "last_status_code", "last_error", "created_at", "updated_at", "delivered_at")
SELECT "id", "subscription_id", "event_type",
  CAST(strftime('%s', "body" ->> '$.timestamp') AS INTEGER) * 1000 + CAST(substr("body" ->> '$.timestamp', 21, 3) AS INTEGER),
  nullif("body" -> '$.metadata', 'null'),
  "body" ->> '$.reason',
  nullif("body" -> '$.data', 'null'),
  CASE WHEN "attempts" > 0 OR "lease_token" IS NOT NULL THEN "body" END,
  "status", "attempts", "schedule_step", "next_attempt_at", "lease_token", "last_status_code", "last_error", "created_at", "updated_at", "delivered_at"
FROM `messages`;--> statement-breakpoint
DROP TABLE `messages`;--> statement-breakpoint
ALTER TABLE `__new_messages` RENAME TO `messages`;--> statement-breakpoint
CREATE UNIQUE INDEX `messages_subscription_event` ON `messages` (`subscription_id`,`event_type`);--> statement-breakpoint
CREATE INDEX `messages_due` ON `messages` (`next_attempt_at`) WHERE next_attempt_at IS NOT NULL;