import { type LeasedIds, loadClaimedTasks } from "../storage/load-claimed";
import { pollLeased } from "../work/poll-leased";
import type { ConsumerContext } from "./consumer-context";

/** How many ids the messages named, to count the ones whose lease moved on. */
export const countIds = (claims: readonly LeasedIds[]) => claims.reduce((n, c) => n + c.ids.length, 0);

/**
 * Polls the tasks that poll messages name: loads those still held under each message's lease,
 * then polls and records them with the same work as the tick (`pollLeased`).
 */
export async function consumePolls(ctx: ConsumerContext, claims: readonly LeasedIds[]): Promise<void> {
  if (claims.length === 0) return;
  const tasks = await loadClaimedTasks(ctx.db, claims);
  ctx.report.skipped += countIds(claims) - tasks.length;
  await pollLeased(ctx, tasks);
}
