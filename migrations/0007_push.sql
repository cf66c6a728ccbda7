CREATE TABLE `inbound_hints` (
	`provider` text NOT NULL,
	`task_id` text NOT NULL,
	`received_at` integer NOT NULL,
	PRIMARY KEY(`provider`, `task_id`)
);
--> statement-breakpoint
CREATE INDEX `inbound_hints_received` ON `inbound_hints` (`received_at`);--> statement-breakpoint
ALTER TABLE `tasks` ADD `pushed_at` integer;--> statement-breakpoint
ALTER TABLE `tasks` ADD `repoll_at` integer;