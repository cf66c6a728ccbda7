CREATE TABLE `archive_files` (
	`id` text PRIMARY KEY NOT NULL,
	`task_key` text NOT NULL,
	`output_index` integer NOT NULL,
	`field` text NOT NULL,
	`source_url` text NOT NULL,
	`r2_key` text NOT NULL,
	`status` text NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`next_attempt_at` integer,
	`lease_token` text,
	`copied_bytes` integer DEFAULT 0 NOT NULL,
	`size_bytes` integer,
	`content_type` text,
	`resume` text,
	`last_error` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`copied_at` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `archive_files_task_output` ON `archive_files` (`task_key`,`output_index`,`field`);--> statement-breakpoint
CREATE INDEX `archive_files_due` ON `archive_files` (`next_attempt_at`) WHERE next_attempt_at IS NOT NULL;--> statement-breakpoint
CREATE INDEX `archive_files_copied` ON `archive_files` (`copied_at`) WHERE status = 'copied';--> statement-breakpoint
ALTER TABLE `messages` ADD `archive` text;--> statement-breakpoint
ALTER TABLE `tasks` ADD `archive` text;--> statement-breakpoint
ALTER TABLE `tasks` ADD `archive_outputs` text;--> statement-breakpoint
CREATE INDEX `tasks_archive_to_list` ON `tasks` (`updated_at`) WHERE archive = 'requested' AND last_event = 'task.succeeded';--> statement-breakpoint
CREATE INDEX `tasks_archive_copying` ON `tasks` (`updated_at`) WHERE archive = 'copying';