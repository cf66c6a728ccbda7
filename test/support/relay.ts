/** Helpers for tests that drive the relay the way an app and the cron would. */
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { keyHash } from "../../src/auth/keys";
import { loadConfig } from "../../src/config";
import { taskKey as checkedTaskKey, tenantId as checkedTenantId, newLeaseToken, type TaskKey, type TenantId } from "../../src/domain/ids";
import type { Env } from "../../src/env";
import worker from "../../src/index";
import { queueDispatchers } from "../../src/queue/send-work";
import { openDb } from "../../src/storage/db";
import { endPolling } from "../../src/storage/polling-ticks";
import { pollPhase } from "../../src/tick/poll-phase";
import { runTick } from "../../src/tick/run-tick";
import { emptyTickReport } from "../../src/tick/tick-context";
import { WorkBudget } from "../../src/work/work-budget";
import { type Clock, systemClock } from "../../src/work/work-context";
import type { ReceiverStep, UpstreamStep } from "../../tools/fake-protocol";

export const API_KEY = "relay-test-key-one-0123456789";
/** ADMIN_API_KEY in the workers pool (test/harness/workers-pool.ts): every tenant. */
export const ADMIN_KEY = "relay-test-admin-key-0123456789";

let counter = 0;
/** A name no other test (in any file, running in parallel) uses. */
export const unique = (prefix: string) =>
  `${prefix}-${Date.now().toString(36)}-${(counter++).toString(36)}-${Math.random().toString(36).slice(2, 8)}`;

export function api(path: string, init: RequestInit = {}, key: string | null = API_KEY): Promise<Response> {
  const headers = new Headers(init.headers);
  if (key !== null && !headers.has("authorization")) headers.set("authorization", `Bearer ${key}`);
  return exports.default.fetch(new Request(`http://relay.test${path}`, { ...init, headers }));
}

/**
 * One request to the Worker as the platform runs it, with env `overrides`, waiting for the work it
 * left in `waitUntil` (a callback's poll, a webhook) before answering.
 */
export async function relayRequest(path: string, init: RequestInit, overrides: Partial<Env> = {}): Promise<Response> {
  const ctx = createExecutionContext();
  const res = await worker.fetch!(new Request(`http://relay.test${path}`, init) as never, { ...env, ...overrides }, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

export const postJson = (path: string, body: unknown, key: string | null = API_KEY) =>
  api(path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) }, key);

export interface RegistrationInput {
  task_id: string;
  action?: string;
  action2?: string;
  callback_url: string;
  events?: string[];
  metadata?: Record<string, unknown> | null;
}

export async function register(input: RegistrationInput) {
  const res = await postJson("/v1/tasks", { action: "videos", action2: "text2video", ...input });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

/** `count` tasks that upstream says succeeded, each registered for `callbackUrl`: their subscriptions' ids. */
export async function registerFinished(count: number, callbackUrl: string): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const task = await upstreamTask([{ status: "succeed" }]);
    const { status, body } = await register({ task_id: task.id, callback_url: callbackUrl });
    if (status !== 201) throw new Error(`registration answered ${status}`);
    ids.push(body.id);
  }
  return ids;
}

/** A webhook receiver on the loopback fake, scripted with `steps` (default: always 200). */
export async function receiver(steps: ReceiverStep[] = []) {
  const name = unique("recv");
  await fetch(`${env.FAKE_URL}/_sim/receivers/${name}`, { method: "PUT", body: JSON.stringify({ steps }) });
  type Delivery = { headers: Record<string, string>; body: string; receivedAt: number };
  const deliveries = async (): Promise<Delivery[]> => {
    const res = await fetch(`${env.FAKE_URL}/_sim/receivers/${name}`);
    return ((await res.json()) as { deliveries: Delivery[] }).deliveries;
  };
  return {
    url: `${env.FAKE_URL}/hooks/${name}`,
    deliveries,
    /** Waits (at most 5 s, real time) for the first request this receiver got: one the relay sent, or upstream's callback to it. */
    async firstDelivery(): Promise<Delivery> {
      const deadline = Date.now() + 5_000;
      while (Date.now() < deadline) {
        const [first] = await deliveries();
        if (first) return first;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`nothing reached receiver ${name} within 5 s`);
    },
  };
}

/** A task on the loopback fake upstream, answering `steps` poll after poll (the last repeats). */
export async function upstreamTask(
  steps: UpstreamStep[],
  options: {
    action?: string;
    action2?: string;
    group?: string;
    latencyMs?: number;
    id?: string;
    /** Which API serves it: CometAPI's proxy (default), Kling's legacy `/v1`, or Kling's new `/tasks`. */
    dialect?: "cometapi" | "kling-legacy" | "kling-new";
  } = {},
) {
  const id = options.id ?? unique("task");
  const action = options.action ?? "videos";
  const action2 = options.action2 ?? "text2video";
  await fetch(`${env.FAKE_URL}/_sim/tasks/${id}`, {
    method: "PUT",
    body: JSON.stringify({ action, action2, steps, group: options.group, latencyMs: options.latencyMs, dialect: options.dialect }),
  });
  return {
    id,
    action,
    action2,
    async polls(): Promise<number> {
      return ((await (await fetch(`${env.FAKE_URL}/_sim/tasks/${id}/polls`)).json()) as { polls: number }).polls;
    },
  };
}

export async function maxInFlight(group: string): Promise<number> {
  return ((await (await fetch(`${env.FAKE_URL}/_sim/groups/${group}`)).json()) as { maxInFlight: number }).maxInFlight;
}

/** A clock that a lingering tick moves itself: sleeping advances it at once. */
export function lingeringClock(start = Date.now()): Clock & { advance(ms: number): void } {
  const clock = manualClock(start);
  return { ...clock, sleep: async (ms: number) => clock.advance(ms) };
}

/** A clock the test moves by hand; randomness pinned to the middle (no jitter). */
export function manualClock(start = Date.now()): Clock & { advance(ms: number): void; set(ms: number): void } {
  let now = start;
  return { now: () => now, random: () => 0.5, advance: (ms) => (now += ms), set: (ms) => (now = ms) };
}

/**
 * Runs the tick against this test's D1, with env overrides (a fresh config for each distinct env),
 * wired as src/index.ts wires it: a POLL_QUEUE or DELIVERY_QUEUE in the env (or the overrides)
 * becomes the tick's dispatcher for that kind of work.
 */
export function tick(clock?: Clock, overrides: Partial<Env> = {}) {
  const tickEnv = { ...env, ...overrides };
  return runTick(tickEnv, clock, queueDispatchers(tickEnv));
}

/**
 * Only the poll phase of one tick: tasks are polled and their webhook messages created, but
 * nothing is delivered, so a test can look at (or change) messages no attempt was made of yet.
 */
export async function pollOnly(clock: Clock = systemClock): Promise<number> {
  const config = loadConfig(env);
  const db = openDb(env.DB);
  const leaseToken = newLeaseToken();
  const polled = await pollPhase(
    {
      db,
      config,
      clock,
      budget: new WorkBudget(config.subrequestBudget, clock.now() + config.tickWallBudgetMs),
      report: emptyTickReport(),
      leaseToken,
      claims: { made: 0 },
    },
    0,
  );
  // As a tick that ends: the next one polls alone.
  await endPolling(db, leaseToken, clock.now());
  return polled;
}

export async function resetDb(): Promise<void> {
  await env.DB.batch([
    ...[
      "delivery_attempts",
      "messages",
      "archive_files",
      "subscriptions",
      "tasks",
      "kind_stats",
      "push_stats",
      "endpoints",
      "api_keys",
      "inbound_hints",
      "idempotency_keys",
      "upstream_owners",
      "tenant_credentials",
      "audit_log",
      "operation_events",
      "polling_ticks",
    ].map((t) => env.DB.prepare(`DELETE FROM ${t}`)),
    // The built-in tenant stays (migration 0005 made it), neither suspended nor deleted, with the
    // default caps; tenants made by tests go.
    env.DB.prepare("UPDATE tenants SET caps = NULL WHERE id = 'default'"),
    env.DB.prepare("DELETE FROM tenants WHERE id <> 'default'"),
    env.DB.prepare("UPDATE tenants SET operations_endpoint_id = NULL"),
    env.DB.prepare("UPDATE tenants SET suspended_at = NULL, deleted_at = NULL WHERE id = 'default'"),
  ]);
}

/** The relay's key (`tasks.id`) of the default tenant's task `taskId`: what leases and queue messages name. */
export async function taskKey(taskId: string, tenantId = "default"): Promise<TaskKey> {
  const row = await env.DB.prepare("SELECT id FROM tasks WHERE tenant_id = ? AND task_id = ?")
    .bind(tenantId, taskId)
    .first<{ id: string }>();
  if (!row) throw new Error(`no task ${taskId} for tenant ${tenantId}`);
  return checkedTaskKey(row.id);
}

export const taskView = async (taskId: string) => (await (await api(`/v1/tasks/${taskId}`)).json()) as Record<string, any>;
export const subscriptionView = async (id: string) => (await (await api(`/v1/subscriptions/${id}`)).json()) as Record<string, any>;

/**
 * A tenant with one live key, made directly in D1 as the admin API would: the key (`rk_` and 43
 * base64url characters) is stored only as its hex SHA-256, with its visible prefix.
 */
/**
 * A tenant with a key of its own, written straight to D1. Lent the operator's account and trusted
 * unless `flags` says otherwise (as every tenant from before those flags is after the upgrade), so
 * that tests about other things register any id; tests of isolation upstream set them.
 */
export async function tenantWithKey(
  id: string,
  name: string,
  flags: { sharedUpstream?: boolean; trusted?: boolean } = {},
): Promise<{ id: TenantId; name: string; key: string }> {
  const random = (n: number) => [...crypto.getRandomValues(new Uint8Array(n))].map((b) => b.toString(16).padStart(2, "0")).join("");
  const key = `rk_${btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32)))).replace(/[+/=]/g, (ch) => ({ "+": "-", "/": "_", "=": "" })[ch]!)}`;
  const now = Date.now();
  await env.DB.batch([
    env.DB.prepare("INSERT INTO tenants (id, name, shared_upstream, trusted, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)").bind(
      id,
      name,
      flags.sharedUpstream === false ? 0 : 1,
      flags.trusted === false ? 0 : 1,
      now,
      now,
    ),
    env.DB.prepare("INSERT INTO api_keys (id, tenant_id, prefix, hash, created_at) VALUES (?, ?, ?, ?, ?)").bind(
      `key_${random(12)}`,
      id,
      key.slice(0, 11),
      await keyHash(key),
      now,
    ),
  ]);
  return { id: checkedTenantId(id), name, key };
}
