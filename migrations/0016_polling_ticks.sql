-- A tick's polls hold no lease while it polls alone (issue 25): it selects its due tasks and
-- writes each only when it records it, guarded by the due time it saw (src/storage/claim-tasks.ts).
-- `polling_ticks` lists the ticks polling by themselves; a tick that sees another leases what it
-- polls, as every tick did before (src/storage/polling-ticks.ts). The Worker before this migration
-- never reads the table and always leases, which the new one's guard respects (a leased task's
-- due time has moved). drizzle-kit generates the same statement from src/storage/schema.ts
-- (meta/0016_snapshot.json).
CREATE TABLE `polling_ticks` (
	`token` text PRIMARY KEY NOT NULL,
	`until` integer NOT NULL
);
