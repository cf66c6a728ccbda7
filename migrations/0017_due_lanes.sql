-- The due index in two lanes (issue 25): Kling's new API, polled many a request, and every other
-- task (src/storage/due-lanes.ts). A walk for one lane reads only its own tasks: with one index,
-- the batch walk of every tick read every due task of the other lane to find none of its own.
-- Each task is in one lane only, so a poll still writes one due entry. The Worker before this
-- migration finds no index its claims can use and reads the table in full, correctly, for the
-- moments until the new one replaces it (`npm run deploy` applies migrations just before it
-- deploys). drizzle-kit generates the same statements from src/storage/schema.ts
-- (meta/0017_snapshot.json).
DROP INDEX `tasks_due`;--> statement-breakpoint
CREATE INDEX `tasks_due_batch` ON `tasks` (`next_poll_at`) WHERE next_poll_at IS NOT NULL AND action = '' AND provider = 'kling';--> statement-breakpoint
CREATE INDEX `tasks_due_single` ON `tasks` (`next_poll_at`) WHERE next_poll_at IS NOT NULL AND NOT (action = '' AND provider = 'kling');
