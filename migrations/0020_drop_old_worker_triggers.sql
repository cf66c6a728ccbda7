-- The triggers 0013 and 0014 made for a Worker from before them go (issue 25): they filled in the
-- `state`, `tenant_id` and `endpoint_id` of messages such a Worker wrote its way. Every Worker since
-- 0014 writes those columns itself, in every statement, so the triggers never did anything for it;
-- but their presence alone made each UPDATE of `messages` read its rows twice (SQLite collects the
-- rows first when an update trigger may fire): a webhook's record read 4 rows of its message, now 2.
-- Applied beside the Worker of 0019 (or any from 0014 on), which writes every column they filled:
-- nothing changes for it. A relay still running a Worker from before 0014 while this applies (an
-- upgrade across all of them in one step) leaves the messages that Worker creates meanwhile
-- without them: remove the cron trigger and the callbacks' route for that minute
-- (docs/deploying.md, "Upgrading"). Hand-written: drizzle-kit's schema has no triggers.
DROP TRIGGER IF EXISTS `messages_state_of_old_insert`;
--> statement-breakpoint
DROP TRIGGER IF EXISTS `messages_state_of_old_update`;
--> statement-breakpoint
DROP TRIGGER IF EXISTS `messages_target_of_old_insert`;
