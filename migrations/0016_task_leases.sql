-- Fewer D1 rows per poll (issue 25): a claim holds its tasks in one `task_leases` row instead of
-- writing each task's lease_token and moving its next_poll_at (src/storage/task-leases.ts).
-- Hand-written; drizzle-kit generates the same statement from src/storage/schema.ts (its snapshot
-- is meta/0016_snapshot.json) but for WITHOUT ROWID, which drizzle's schema cannot say: the table
-- is then its primary key's one b-tree, so a claim writes one row, not a row and its key.
--
-- Applied while the Worker of before still runs: it never reads this table, and still leases in
-- the task row (`lease_token`, kept until a later migration). A task the new Worker holds stays
-- due, so the old one may claim and poll it too during the deploy: both records are accepted (each
-- checks its own lease), and a message is made once per subscription and event (its unique index).
CREATE TABLE `task_leases` (
	`token` text NOT NULL,
	`claim` text NOT NULL,
	`ends_at` integer NOT NULL,
	`task_keys` text NOT NULL,
	PRIMARY KEY(`token`, `claim`)
) WITHOUT ROWID;
