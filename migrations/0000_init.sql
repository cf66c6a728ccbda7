CREATE TABLE `delivery_attempts` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`message_id` text NOT NULL,
	`attempted_at` integer NOT NULL,
	`status_code` integer,
	`error` text,
	`duration_ms` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `delivery_attempts_message` ON `delivery_attempts` (`message_id`);--> statement-breakpoint
CREATE TABLE `messages` (
	`id` text PRIMARY KEY NOT NULL,
	`subscription_id` text NOT NULL,
	`event_type` text NOT NULL,
	`body` text NOT NULL,
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
CREATE UNIQUE INDEX `messages_subscription_event` ON `messages` (`subscription_id`,`event_type`);--> statement-breakpoint
CREATE INDEX `messages_due` ON `messages` (`next_attempt_at`) WHERE next_attempt_at IS NOT NULL;--> statement-breakpoint
CREATE TABLE `subscriptions` (
	`id` text PRIMARY KEY NOT NULL,
	`task_id` text NOT NULL,
	`callback_url` text NOT NULL,
	`events` text NOT NULL,
	`metadata` text,
	`status` text NOT NULL,
	`status_reason` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `subscriptions_task_callback` ON `subscriptions` (`task_id`,`callback_url`);--> statement-breakpoint
CREATE TABLE `tasks` (
	`task_id` text PRIMARY KEY NOT NULL,
	`action` text NOT NULL,
	`action2` text NOT NULL,
	`task_status` text,
	`data` text,
	`polls` integer DEFAULT 0 NOT NULL,
	`stable_polls` integer DEFAULT 0 NOT NULL,
	`error_streak` integer DEFAULT 0 NOT NULL,
	`not_found_streak` integer DEFAULT 0 NOT NULL,
	`last_error` text,
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
CREATE INDEX `tasks_due` ON `tasks` (`next_poll_at`) WHERE next_poll_at IS NOT NULL;--> statement-breakpoint
CREATE INDEX `tasks_settled` ON `tasks` (`settled_at`) WHERE settled_at IS NOT NULL;