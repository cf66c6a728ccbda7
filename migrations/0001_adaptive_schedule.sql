CREATE TABLE `kind_stats` (
	`action` text NOT NULL,
	`action2` text NOT NULL,
	`samples` integer NOT NULL,
	`mean_log` real NOT NULL,
	`var_log` real NOT NULL,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`action`, `action2`)
);
--> statement-breakpoint
ALTER TABLE `tasks` ADD `upstream_created_at` integer;