CREATE TABLE `activity_hourly` (
	`hour` integer PRIMARY KEY NOT NULL,
	`polls` integer DEFAULT 0 NOT NULL,
	`upstream_errors` integer DEFAULT 0 NOT NULL,
	`delivery_attempts` integer DEFAULT 0 NOT NULL,
	`delivered` integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE INDEX `subscriptions_active` ON `subscriptions` (`created_at`) WHERE status = 'active';--> statement-breakpoint
CREATE INDEX `subscriptions_delivered` ON `subscriptions` (`updated_at`) WHERE status = 'delivered';--> statement-breakpoint
CREATE INDEX `subscriptions_failed` ON `subscriptions` (`updated_at`) WHERE status = 'failed';--> statement-breakpoint
CREATE INDEX `tasks_created` ON `tasks` (`created_at`);--> statement-breakpoint
CREATE INDEX `tasks_kind_created` ON `tasks` (`action`,`action2`,`created_at`);