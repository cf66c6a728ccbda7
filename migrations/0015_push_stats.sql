-- Push that finds lost callbacks sooner (issue 25): per provider and kind, how many pushed tasks
-- finished and how many of those a poll saw finished before any final callback came
-- (`push_stats`, src/storage/push-stats.ts); on each task, when upstream first called back with a
-- final status (`final_pushed_at`). Hand-written; drizzle-kit generates the same statements from src/storage/schema.ts (its snapshot is meta/0015_snapshot.json).
--
-- Applied while the Worker of before still runs: it never reads or writes either. A task it
-- notes a final callback for has no `final_pushed_at`, so the new Worker counts that finish as lost
-- when it records it: a few finishes during a deploy, which the counts' decay soon outweighs.
CREATE TABLE `push_stats` (
	`provider` text NOT NULL,
	`action` text NOT NULL,
	`action2` text NOT NULL,
	`finished` real NOT NULL,
	`lost` real NOT NULL,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`provider`, `action`, `action2`)
);
--> statement-breakpoint
ALTER TABLE `tasks` ADD `final_pushed_at` integer;
