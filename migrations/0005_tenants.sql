-- Tenants (issue: one relay shared safely by many apps). Every row from before belongs to the
-- built-in `default` tenant, whose keys are RELAY_API_KEYS: a deployment upgrades with no change.
-- Hand-edited after `drizzle-kit generate`: the generated version cannot fill the new NOT NULL
-- columns of existing rows. Tasks and subscriptions are rebuilt (SQLite cannot change a primary
-- key or add a NOT NULL column without a default in place).
CREATE TABLE `tenants` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
INSERT INTO `tenants` (`id`, `name`, `created_at`, `updated_at`)
VALUES ('default', 'default', CAST(strftime('%s', 'now') AS INTEGER) * 1000, CAST(strftime('%s', 'now') AS INTEGER) * 1000);--> statement-breakpoint
CREATE TABLE `api_keys` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`prefix` text NOT NULL,
	`hash` text NOT NULL,
	`created_at` integer NOT NULL,
	`revoked_at` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `api_keys_hash` ON `api_keys` (`hash`);--> statement-breakpoint
CREATE INDEX `api_keys_tenant` ON `api_keys` (`tenant_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `endpoints` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`url` text NOT NULL,
	`secret` text NOT NULL,
	`previous_secret` text,
	`signing_key` text,
	`public_key` text,
	`previous_signing_key` text,
	`previous_until` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `endpoints_tenant_url` ON `endpoints` (`tenant_id`,`url`);--> statement-breakpoint
CREATE INDEX `endpoints_tenant_created` ON `endpoints` (`tenant_id`,`created_at`);--> statement-breakpoint
-- One endpoint per callback URL already registered, each with its own secret: `whsec_` and the
-- base64 of 32 random bytes (SQLite has no base64 function: 42 random characters of the base64
-- alphabet carry 252 bits, a 43rd of the 16 whose last two bits are zero carries the last 4, then
-- the padding). random() is drawn anew for every row the recursive CTE produces.
INSERT INTO `endpoints` (`id`, `tenant_id`, `url`, `secret`, `created_at`, `updated_at`)
WITH RECURSIVE urls(url, first_at) AS (
	SELECT `callback_url`, min(`created_at`) FROM `subscriptions` GROUP BY `callback_url`
), chars(url, first_at, n, s) AS (
	SELECT url, first_at, 0, '' FROM urls
	UNION ALL
	SELECT url, first_at, n + 1, s || substr('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/', (random() & 63) + 1, 1)
	FROM chars WHERE n < 42
)
SELECT 'ep_' || lower(hex(randomblob(12))), 'default', url,
	'whsec_' || s || substr('AEIMQUYcgkosw048', (random() & 15) + 1, 1) || '=', first_at, first_at
FROM chars WHERE n = 42;--> statement-breakpoint
CREATE TABLE `__new_tasks` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`task_id` text NOT NULL,
	`action` text NOT NULL,
	`action2` text NOT NULL,
	`task_status` text,
	`data` text,
	`polls` integer DEFAULT 0 NOT NULL,
	`error_streak` integer DEFAULT 0 NOT NULL,
	`not_found_streak` integer DEFAULT 0 NOT NULL,
	`last_error` text,
	`upstream_created_at` integer,
	`last_polled_at` integer,
	`next_poll_at` integer,
	`lease_token` text,
	`last_event` text,
	`last_event_at` integer,
	`finish_reason` text,
	`finished_at` integer,
	`settled_at` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
INSERT INTO `__new_tasks`("id", "tenant_id", "task_id", "action", "action2", "task_status", "data", "polls", "error_streak", "not_found_streak", "last_error", "upstream_created_at", "last_polled_at", "next_poll_at", "lease_token", "last_event", "last_event_at", "finish_reason", "finished_at", "settled_at", "created_at", "updated_at")
SELECT 'tsk_' || lower(hex(randomblob(12))), 'default', "task_id", "action", "action2", "task_status", "data", "polls", "error_streak", "not_found_streak", "last_error", "upstream_created_at", "last_polled_at", "next_poll_at", "lease_token", "last_event", "last_event_at", "finish_reason", "finished_at", "settled_at", "created_at", "updated_at" FROM `tasks`;--> statement-breakpoint
CREATE TABLE `__new_subscriptions` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`task_key` text NOT NULL,
	`endpoint_id` text NOT NULL,
	`callback_url` text NOT NULL,
	`events` text NOT NULL,
	`metadata` text,
	`status` text NOT NULL,
	`status_reason` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
INSERT INTO `__new_subscriptions`("id", "tenant_id", "task_key", "endpoint_id", "callback_url", "events", "metadata", "status", "status_reason", "created_at", "updated_at")
SELECT s."id", 'default', t."id", e."id", s."callback_url", s."events", s."metadata", s."status", s."status_reason", s."created_at", s."updated_at"
FROM `subscriptions` s JOIN `__new_tasks` t ON t."task_id" = s."task_id" JOIN `endpoints` e ON e."tenant_id" = 'default' AND e."url" = s."callback_url";--> statement-breakpoint
DROP TABLE `subscriptions`;--> statement-breakpoint
ALTER TABLE `__new_subscriptions` RENAME TO `subscriptions`;--> statement-breakpoint
DROP TABLE `tasks`;--> statement-breakpoint
ALTER TABLE `__new_tasks` RENAME TO `tasks`;--> statement-breakpoint
CREATE UNIQUE INDEX `tasks_tenant_task` ON `tasks` (`tenant_id`,`task_id`);--> statement-breakpoint
CREATE INDEX `tasks_due` ON `tasks` (`next_poll_at`) WHERE next_poll_at IS NOT NULL;--> statement-breakpoint
CREATE INDEX `tasks_settled` ON `tasks` (`settled_at`) WHERE settled_at IS NOT NULL;--> statement-breakpoint
CREATE INDEX `tasks_created` ON `tasks` (`created_at`);--> statement-breakpoint
CREATE INDEX `tasks_kind_created` ON `tasks` (`action`,`action2`,`created_at`);--> statement-breakpoint
CREATE INDEX `tasks_tenant_created` ON `tasks` (`tenant_id`,`created_at`);--> statement-breakpoint
CREATE UNIQUE INDEX `subscriptions_task_callback` ON `subscriptions` (`task_key`,`callback_url`);--> statement-breakpoint
CREATE INDEX `subscriptions_endpoint` ON `subscriptions` (`endpoint_id`);--> statement-breakpoint
CREATE INDEX `subscriptions_active` ON `subscriptions` (`created_at`) WHERE status = 'active';--> statement-breakpoint
CREATE INDEX `subscriptions_delivered` ON `subscriptions` (`updated_at`) WHERE status = 'delivered';--> statement-breakpoint
CREATE INDEX `subscriptions_failed` ON `subscriptions` (`updated_at`) WHERE status = 'failed';
