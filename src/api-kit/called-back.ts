import type { TaskRow } from "../storage/schema";

/**
 * Polls, at once, tasks that a registration just created after upstream had called back about
 * them (in the request's `waitUntil`). Handlers never poll: src/app.ts wires this in from
 * src/inbound, for the request at hand.
 */
export type PollCalledBack = (tasks: readonly TaskRow[]) => void;
export type CalledBackVariables = { pollCalledBack?: PollCalledBack };

/**
 * Hands the registered tasks upstream already called back about, and that nobody has polled yet,
 * to the request's `pollCalledBack` (none: the tick polls them, as they are due at once).
 * @example pollCalledBackTasks(c.get("pollCalledBack"), [result.task])
 */
export function pollCalledBackTasks(poll: PollCalledBack | undefined, tasks: readonly TaskRow[]): void {
  const waiting = [...new Map(tasks.map((t) => [t.id, t])).values()].filter(
    (t) => t.pushedAt !== null && t.lastPolledAt === null && t.nextPollAt !== null,
  );
  if (waiting.length > 0) poll?.(waiting);
}
