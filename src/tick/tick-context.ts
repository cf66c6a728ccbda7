import type { LeaseToken } from "../domain/ids";
import type { OperationEventsReport } from "../operations/deliver-operation-events";
import type { Db } from "../storage/db";
import type { EndpointUpkeep } from "../storage/endpoint-upkeep";
import type { KindStatsEntry } from "../storage/kind-stats";
import type { TenantDeletionReport } from "../work/tenant-deletion";
import type { CredentialResolver } from "../work/upstream-credentials";
import type { WorkContext } from "../work/work-context";
import { emptyWorkReport, type WorkReport } from "../work/work-report";

/**
 * Why a tick stopped: one pass asked for (no clock that waits), its wall-time budget, its
 * subrequests spent, polling and delivery paused by missing keys, a configuration error upstream,
 * or its share of work sent to a queue.
 */
export type EndReason = "single_pass" | "wall_budget" | "subrequest_budget" | "paused" | "configuration_error" | "queue_capped";

/** The figures of one tick, logged as one JSON line: the work it did, and how the tick went. */
export interface TickReport extends WorkReport {
  /** Passes over due work: one, plus one per nap that woke to more. */
  rounds: number;
  endReason: EndReason | null;
  /** Old tasks deleted by retention at the end of the tick. */
  purged: number;
  /**
   * With the ARCHIVE bucket only: archived files deleted with their tasks (objects, then rows), and
   * files whose objects retention deleted on their own (ARCHIVE_RETENTION_DAYS; rows kept, `deleted`).
   */
  archivePurged?: number;
  archiveDeleted?: number;
  /** The first error R2 answered retention's deletes with: what it could not delete waits for the next tick. */
  archiveRetentionError?: string;
  /** Rounds a D1 fault ended, the tick going on after a nap (run-tick.ts `STORAGE_FAULTS_IN_A_ROW`). */
  storageFaults?: number;
  /** Parked rows of resumed tenants made due at the start of the tick (storage/parking.ts). */
  unparked?: number;
  /** What the endpoints' upkeep did (disabled, probes made due, webhooks released, subscriptions failed), when anything. */
  endpoints?: EndpointUpkeep;
  /** Audit entries deleted by AUDIT_RETENTION_DAYS. */
  auditPurged?: number;
  /** Operational events older than AUDIT_RETENTION_DAYS deleted. */
  operationEventsPurged?: number;
  /** Operational events sent by the tick's step (src/operations/), when it sent any. */
  operationEvents?: OperationEventsReport;
  /** The step taken in removing a deleted tenant, if one is being removed. */
  tenantDeletion?: TenantDeletionReport;
  /**
   * With SECRETS_KEY, when the tick looked for them (src/tick/reseal-phase.ts): endpoints whose
   * secrets it sealed again (stored in clear, or sealed by the previous key); during a rotation,
   * tenants' credentials it sealed again (sealed by the previous key); those it could not open,
   * with the first error (it names a key id and an endpoint or a tenant, never a secret).
   */
  resealed?: number;
  resealedCredentials?: number;
  resealErrors?: number;
  resealError?: string;
  /** Providers the relay has no credentials for: their tasks wait (the others' are polled). */
  pausedProviders: string[];
  /** Queue mode only (absent otherwise): ids handed to each queue, and sends the platform refused. */
  queued?: { polls: number; deliveries: number; archives?: number; sendErrors: number };
}

export const emptyTickReport = (): TickReport => ({ rounds: 0, endReason: null, ...emptyWorkReport(), purged: 0, pausedProviders: [] });

/** What the tick's phases share: the per-item work's context, plus the tick's D1 handle and lease. */
export interface TickContext extends WorkContext {
  db: Db;
  report: TickReport;
  /** One lease token for everything this tick claims: every write it makes checks it. */
  leaseToken: LeaseToken;
  /** Learned durations per kind, loaded once per tick when it first polls. */
  kindStats?: Map<string, KindStatsEntry>;
  /** Whose credentials each task is polled with, read once per tick when it first polls. */
  credentials?: CredentialResolver;
  /** Until when this tick said it polls (storage/polling-ticks.ts), once it first polled. */
  pollingUntil?: number;
  /**
   * Webhook messages its polls' records created leased to it (storage/fan-out.ts `BornLease`), not
   * yet taken by its delivery phase, which takes them before it claims any; what is left when the
   * tick ends is released, due at once. Absent when a queue delivers: those are created due, for it.
   */
  born?: string[];
  /** The claims it made, of any kind (`claimLeaseMs`): one count, shared by the contexts made from this one. */
  claims: { made: number };
}

/**
 * `leaseMs` for this tick's next claim: each claim of a tick adds a millisecond more, so that no
 * two of its claims' leases end alike (they share its token, and mostly its deadline), and one
 * that D1 answered with an error is found again by its end (storage/storage-errors.ts `claimOrLook`).
 */
export function claimLeaseMs(ctx: Pick<TickContext, "claims">, leaseMs: number): number {
  ctx.claims.made += 1;
  return leaseMs + ctx.claims.made;
}
