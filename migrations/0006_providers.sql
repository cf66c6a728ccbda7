-- Providers: a task is polled through CometAPI (every task before this) or Kling's own API, and
-- is identified by (tenant, provider, task id). Adding a column with a default keeps the Worker
-- still on the code before it working while the new one deploys.
DROP INDEX `tasks_tenant_task`;--> statement-breakpoint
ALTER TABLE `tasks` ADD `provider` text DEFAULT 'cometapi' NOT NULL;--> statement-breakpoint
CREATE UNIQUE INDEX `tasks_tenant_provider_task` ON `tasks` (`tenant_id`,`provider`,`task_id`);