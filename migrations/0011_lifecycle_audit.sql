-- Tenant lifecycle (suspend, resume, delete) and the audit log. Hand-written; only nullable
-- columns and a new table, so the Worker of before goes on running beside it while this deploys
-- (it never reads the new columns: a suspended or deleted tenant is one it does not know of yet).
ALTER TABLE `tenants` ADD `suspended_at` integer;--> statement-breakpoint
ALTER TABLE `tenants` ADD `deleted_at` integer;--> statement-breakpoint
CREATE TABLE `audit_log` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`at` integer NOT NULL,
	`tenant_id` text,
	`actor_kind` text NOT NULL,
	`actor_key_id` text,
	`actor_key_prefix` text,
	`action` text NOT NULL,
	`target` text NOT NULL,
	`client_address` text,
	`detail` text
);
--> statement-breakpoint
-- A tenant's own entries, newest first (`GET /v1/audit`, the admin's tenant filter). Every entry,
-- newest first, walks the primary key itself (AUTOINCREMENT: ids only grow).
CREATE INDEX `audit_log_tenant` ON `audit_log` (`tenant_id`,`id`);--> statement-breakpoint
-- Retention (AUDIT_RETENTION_DAYS) deletes the oldest first.
CREATE INDEX `audit_log_at` ON `audit_log` (`at`);
