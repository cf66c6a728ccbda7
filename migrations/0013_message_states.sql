-- A message's state as one column with named values (src/domain/message-states.ts), where it was a
-- combination of `status`, `next_attempt_at` and `lease_token`: `held` (pending, neither due nor
-- leased: waiting for its archive), `scheduled` (pending, due at next_attempt_at), `leased` (pending,
-- claimed under lease_token), and the ended `delivered`, `failed`, `cancelled`. The old columns keep
-- their meaning (`next_attempt_at` when it is due, `lease_token` who holds it, `status` what the API
-- shows): the new Worker writes them with the state, every statement. Hand-written, like 0011-0012.
--
-- Applied while the Worker of before still runs: it writes messages its way, never naming `state`.
-- The column's default only fills the rows it inserts until the triggers below give them their
-- state, in the same statement; the backfill gives every existing row its own.
ALTER TABLE `messages` ADD `state` text DEFAULT 'scheduled' NOT NULL;
--> statement-breakpoint
UPDATE `messages` SET `state` = CASE
    WHEN status <> 'pending' THEN status
    WHEN lease_token IS NOT NULL THEN 'leased'
    WHEN next_attempt_at IS NULL THEN 'held'
    ELSE 'scheduled'
  END
WHERE `state` IS NOT CASE
    WHEN status <> 'pending' THEN status
    WHEN lease_token IS NOT NULL THEN 'leased'
    WHEN next_attempt_at IS NULL THEN 'held'
    ELSE 'scheduled'
  END;
--> statement-breakpoint
-- For a Worker from before this migration, as long as one may run: a row it inserts, or whose old
-- columns it changes without naming `state`, gets the state those columns say. The new Worker's
-- writes already agree with them, so neither trigger does anything for it (the update trigger
-- also leaves alone any write that set the state). A later migration drops both, once no Worker
-- from before 0013 can run.
CREATE TRIGGER `messages_state_of_old_insert` AFTER INSERT ON `messages`
WHEN NEW.state IS NOT CASE
    WHEN NEW.status <> 'pending' THEN NEW.status
    WHEN NEW.lease_token IS NOT NULL THEN 'leased'
    WHEN NEW.next_attempt_at IS NULL THEN 'held'
    ELSE 'scheduled'
  END
BEGIN
  UPDATE `messages` SET `state` = CASE
      WHEN NEW.status <> 'pending' THEN NEW.status
      WHEN NEW.lease_token IS NOT NULL THEN 'leased'
      WHEN NEW.next_attempt_at IS NULL THEN 'held'
      ELSE 'scheduled'
    END
  WHERE rowid = NEW.rowid;
END;
--> statement-breakpoint
CREATE TRIGGER `messages_state_of_old_update` AFTER UPDATE OF `status`, `next_attempt_at`, `lease_token` ON `messages`
WHEN NEW.state IS OLD.state AND NEW.state IS NOT CASE
    WHEN NEW.status <> 'pending' THEN NEW.status
    WHEN NEW.lease_token IS NOT NULL THEN 'leased'
    WHEN NEW.next_attempt_at IS NULL THEN 'held'
    ELSE 'scheduled'
  END
BEGIN
  UPDATE `messages` SET `state` = CASE
      WHEN NEW.status <> 'pending' THEN NEW.status
      WHEN NEW.lease_token IS NOT NULL THEN 'leased'
      WHEN NEW.next_attempt_at IS NULL THEN 'held'
      ELSE 'scheduled'
    END
  WHERE rowid = NEW.rowid;
END;
