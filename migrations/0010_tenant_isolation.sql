-- Tenants isolated all the way to upstream: a tenant's own upstream credentials (sealed), the
-- tenant that created a task on the operator's account, whose account a task lives on, and the
-- admin's flags and caps. New columns are nullable or have defaults, and new tables are unread by
-- the Worker before it, so the old Worker runs beside this schema while the new one deploys.
CREATE TABLE `tenant_credentials` (
	`tenant_id` text NOT NULL,
	`provider` text NOT NULL,
	`sealed` text NOT NULL,
	`hint` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`tenant_id`, `provider`)
);
--> statement-breakpoint
CREATE TABLE `upstream_owners` (
	`provider` text NOT NULL,
	`task_id` text NOT NULL,
	`tenant_id` text NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`provider`, `task_id`)
);
--> statement-breakpoint
CREATE INDEX `upstream_owners_created` ON `upstream_owners` (`created_at`);--> statement-breakpoint
ALTER TABLE `tasks` ADD `upstream_account` text;--> statement-breakpoint
CREATE INDEX `tasks_tenant_unsettled` ON `tasks` (`tenant_id`) WHERE settled_at IS NULL;--> statement-breakpoint
ALTER TABLE `tenants` ADD `shared_upstream` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `tenants` ADD `trusted` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `tenants` ADD `caps` text;--> statement-breakpoint
-- Tenants that exist at the upgrade keep what they had: the operator's account, and any task id on
-- it. Tenants made from now on start with neither (the admin lends them with PATCH).
UPDATE `tenants` SET `shared_upstream` = 1, `trusted` = 1;
