import type { TaskRow } from "../storage/schema";
import type { RequestScope, ServiceVariables } from "./services";

/**
 * Hands the registered tasks upstream already called back about, and that nobody has polled yet,
 * to the request's `pollCalledBack` service (src/inbound's: polled in the request's `waitUntil`).
 * @example pollCalledBackTasks(c, [result.task])
 */
export function pollCalledBackTasks(c: RequestScope & { var: Readonly<ServiceVariables> }, tasks: readonly TaskRow[]): void {
  const waiting = [...new Map(tasks.map((t) => [t.id, t])).values()].filter(
    (t) => t.pushedAt !== null && t.lastPolledAt === null && t.nextPollAt !== null,
  );
  if (waiting.length > 0) c.var.services.pollCalledBack(c, waiting);
}
