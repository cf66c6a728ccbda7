/** Seeding and reporting for the benchmarks (they run inside workerd, like the tests). */
import { env } from "cloudflare:workers";
import type { UpstreamStep } from "../../tools/fake-protocol";
import type { BenchTable } from "../support/bench-table";
import type { Lifecycle } from "../support/cost-model";

/**
 * To the run's one collecting network (bench-setup.ts), also for a file whose upstream is a
 * network of its own (the simulated-time sections, vitest.bench.config.ts).
 */
const toCollector = (body: unknown) =>
  fetch(`${env.BENCH_URL ?? env.FAKE_URL}/_bench`, { method: "POST", body: JSON.stringify(body) }).then((res) => {
    if (!res.ok) throw new Error(`the bench collector answered ${res.status}`);
  });

/** Hands a table to the Node side, which prints every table once all sections ran. */
export const report = (table: BenchTable): Promise<void> => toCollector(table);

/** Hands what a lifecycle run used to the Node side, which prices it (test/support/cost-model.ts). */
export const reportLifecycle = (lifecycle: Lifecycle): Promise<void> => toCollector(lifecycle);

const DEFAULT_EVENTS = '["task.succeeded","task.failed","task.expired"]';

/**
 * Inserts `count` tasks `${prefix}1..count`, each with one subscription to `callbackUrl`, in two
 * statements (a recursive CTE counts): how large tables are filled in seconds.
 */
export async function seedTasks(options: {
  prefix: string;
  count: number;
  nextPollAt: number | null;
  finished?: boolean;
  callbackUrl: string;
  action?: string;
  action2?: string;
  provider?: string;
}): Promise<void> {
  const now = Date.now();
  const {
    prefix,
    count,
    nextPollAt,
    finished = false,
    callbackUrl,
    action = "videos",
    action2 = "text2video",
    provider = "cometapi",
  } = options;
  const seq = "WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < ?1)";
  await env.DB.batch([
    env.DB.prepare(`${seq} INSERT INTO tasks (id, tenant_id, provider, task_id, action, action2, task_status, next_poll_at, finished_at, settled_at, created_at, updated_at)
      SELECT 'tsk_' || ?2 || n, 'default', ?9, ?2 || n, ?3, ?4, ?5, ?6, ?7, ?7, ?8, ?8 FROM seq`).bind(
      count,
      prefix,
      action,
      action2,
      finished ? "succeed" : null,
      nextPollAt,
      finished ? now : null,
      now,
      provider,
    ),
    env.DB.prepare(
      "INSERT INTO endpoints (id, tenant_id, url, secret, created_at, updated_at) VALUES ('ep_' || ?1, 'default', ?2, ?3, ?4, ?4) ON CONFLICT DO NOTHING",
    ).bind(prefix, callbackUrl, "whsec_YmVuY2gtZW5kcG9pbnQtc2VjcmV0LWJlbmNoLWVuZHA=", now),
    env.DB.prepare(`${seq} INSERT INTO subscriptions (id, tenant_id, task_key, endpoint_id, callback_url, events, status, created_at, updated_at)
      SELECT 'sub_' || ?2 || n, 'default', 'tsk_' || ?2 || n, (SELECT id FROM endpoints WHERE tenant_id = 'default' AND url = ?3), ?3, ?4, ?5, ?6, ?6 FROM seq`).bind(
      count,
      prefix,
      callbackUrl,
      DEFAULT_EVENTS,
      finished ? "delivered" : "active",
      now,
    ),
  ]);
}

/**
 * Pending webhook messages `${prefix}1..count` for the seeded subscriptions, due now, naming their
 * tenant and endpoint as the relay's fan-out does.
 */
export async function seedMessages(prefix: string, count: number): Promise<void> {
  const now = Date.now();
  await env.DB.prepare(`WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < ?1)
    INSERT INTO messages (id, subscription_id, tenant_id, endpoint_id, event_type, event_at, status, state, next_attempt_at, created_at, updated_at)
    SELECT 'msg_' || ?2 || n, s.id, s.tenant_id, s.endpoint_id, 'task.succeeded', ?3, 'pending', 'scheduled', ?3, ?3, ?3
    FROM seq JOIN subscriptions s ON s.id = 'sub_' || ?2 || n`)
    .bind(count, prefix, now)
    .run();
}

/** The same script for many upstream tasks at once, on the simulator. */
export async function upstreamBulk(
  prefix: string,
  count: number,
  steps: UpstreamStep[],
  latencyMs = 0,
  action = "videos",
  action2 = "text2video",
  dialect: "cometapi" | "kling-new" = "cometapi",
): Promise<void> {
  await fetch(`${env.FAKE_URL}/_sim/bulk`, {
    method: "PUT",
    body: JSON.stringify({ prefix, count, steps, latencyMs, action, action2, dialect }),
  });
}

export async function receiverWith(name: string, steps: { status: number; delayMs?: number }[]): Promise<string> {
  await fetch(`${env.FAKE_URL}/_sim/receivers/${name}`, { method: "PUT", body: JSON.stringify({ steps }) });
  return `${env.FAKE_URL}/hooks/${name}`;
}

export async function resetTables(): Promise<void> {
  await env.DB.batch([
    ...["delivery_attempts", "messages", "subscriptions", "tasks", "kind_stats", "push_stats"].map((t) =>
      env.DB.prepare(`DELETE FROM ${t}`),
    ),
    // The benchmarks measure the relay's work, not a tenant's caps: room for every endpoint and task they make.
    env.DB.prepare(
      `UPDATE tenants SET caps = '{"endpoints":10000000,"active_tasks":10000000,"subscriptions_per_task":10000}' WHERE id = 'default'`,
    ),
  ]);
}

/** A real clock that does not linger: one pass over what is due, timed by the caller. */
export const onePassClock = { now: () => Date.now(), random: Math.random };

export const fmt = (value: number, digits = 2) => value.toFixed(digits);
