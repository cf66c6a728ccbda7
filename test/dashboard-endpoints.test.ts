/**
 * The dashboard's endpoints page: each endpoint's state and its last day's attempts (success rate,
 * p50/p95), a tenant session's own endpoints only; its enable/disable buttons turn only the
 * tenant's own (another tenant's answers as a missing one and changes nothing), audited as the API's.
 */
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { openDb } from "../src/storage/db";
import { loadEndpointStats, STATS_MAX_ATTEMPTS, STATS_WINDOW_MS } from "../src/storage/endpoint-stats";
import { type Browser, logIn, page, postForm } from "./support/dashboard";
import { ADMIN_KEY, manualClock, receiver, register, resetDb, tenantWithKey, tick, upstreamTask } from "./support/relay";

const A_ID = "ten_aaaaaaaaaaaaaaaaaaaaaaaa";
const B_ID = "ten_bbbbbbbbbbbbbbbbbbbbbbbb";
const A_EP = "ep_aaaaaaaaaaaaaaaaaaaaaaa1";
const A_EP2 = "ep_aaaaaaaaaaaaaaaaaaaaaaa2";
const B_EP = "ep_bbbbbbbbbbbbbbbbbbbbbbb1";
const HOUR = 3_600_000;

const rowsIn = (html: string) => [...html.matchAll(/<tr data-endpoint="([^"]+)"/g)].map((m) => m[1]!);
/** The cells of one endpoint's row, tags stripped. */
function rowText(html: string, id: string): string {
  const row = new RegExp(`<tr data-endpoint="${id}"[\\s\\S]*?</tr>`).exec(html)?.[0] ?? "";
  return row.replace(/<[^>]+>/g, " ").replace(/\s+/g, " ");
}

async function html(path: string, browser: Browser, status = 200): Promise<string> {
  const res = await page(path, {}, browser);
  const text = await res.text();
  expect(res.status, `${path}: ${text.slice(0, 200)}`).toBe(status);
  return text;
}

async function endpoint(id: string, tenantId: string, url: string, columns: Record<string, number | string | null> = {}) {
  const names = Object.keys(columns);
  await env.DB.prepare(
    `INSERT INTO endpoints (id, tenant_id, url, secret, created_at, updated_at${names.map((n) => `, ${n}`).join("")})
     VALUES (?, ?, ?, 'whsec_x', ?, ?${names.map(() => ", ?").join("")})`,
  )
    .bind(id, tenantId, url, Date.now(), Date.now(), ...Object.values(columns))
    .run();
}

/** `durations.length` attempts of `endpointId` at `at` (one per ms), the first `failed` of them answered 500. */
async function attempts(endpointId: string, durations: number[], at: number, failed = 0) {
  await env.DB.batch(
    durations.map((ms, i) =>
      env.DB.prepare(
        "INSERT INTO delivery_attempts (message_id, endpoint_id, attempted_at, status_code, duration_ms) VALUES ('msg_x', ?, ?, ?, ?)",
      ).bind(endpointId, at + i, i < failed ? 500 : 200, ms),
    ),
  );
}

const endpointRow = (id: string) =>
  env.DB.prepare("SELECT disabled_at, circuit_opened_at, consecutive_failures, pending_drain, updated_at FROM endpoints WHERE id = ?")
    .bind(id)
    .first();
const auditActions = async () =>
  (await env.DB.prepare("SELECT action, target, tenant_id, actor_kind FROM audit_log ORDER BY id").all()).results;

describe("the endpoints page", () => {
  let a: { key: string };
  beforeEach(async () => {
    await resetDb();
    a = await tenantWithKey(A_ID, "Acme");
    await tenantWithKey(B_ID, "Bravo");
    const now = Date.now();
    await endpoint(A_EP, A_ID, "https://hooks.acme.test/relay?token=secret-ish");
    await endpoint(A_EP2, A_ID, "https://down.acme.test/hook", {
      consecutive_failures: 7,
      failing_since: now - 2 * HOUR,
      last_failure_at: now - 10 * 60_000,
      last_failure_reason: "http_503",
      circuit_opened_at: now - HOUR,
      next_probe_at: now + 5 * 60_000,
      rate_limit_per_second: 5,
    });
    await endpoint(B_EP, B_ID, "https://bravo.test/hook");
    // A's first: 20 attempts of 10..200 ms, 3 of them 500s; one of yesterday's, which does not count.
    await attempts(
      A_EP,
      Array.from({ length: 20 }, (_, i) => (20 - i) * 10),
      now - HOUR,
      3,
    );
    await attempts(A_EP, [9_999], now - STATS_WINDOW_MS - HOUR, 1);
    await attempts(B_EP, [777, 777], now - HOUR, 2);
  });

  it("shows a tenant session its own endpoints with state and the last day's figures, nothing of another tenant", async () => {
    const browser = await logIn(a.key);
    for (const path of ["/dashboard/endpoints", `/dashboard/endpoints?tenant=${B_ID}`]) {
      const text = await html(path, browser);
      expect(rowsIn(text)).toEqual([A_EP, A_EP2]);
      expect(text).not.toContain(B_EP);
      expect(text).not.toContain("bravo.test");
      expect(text).not.toContain("<th>tenant</th>");
      // 17 of 20 answered 2xx; nearest rank: the 10th and the 19th of the sorted durations.
      expect(rowText(text, A_EP)).toContain("hooks.acme.test/relay");
      expect(rowText(text, A_EP)).not.toContain("secret-ish");
      expect(rowText(text, A_EP)).toMatch(/healthy 85\.0 % 100 \/ 190 ms 20 0 — — none Disable/);
      expect(rowText(text, A_EP2)).toMatch(/circuit open — — 0 7 http_503 10 min ago in 5 min 5\/s Enable Disable/);
    }
    expect(await html("/dashboard/endpoints", browser)).toContain('<a href="/dashboard/endpoints" class="current">Endpoints</a>');
  });

  it("turns only the tenant's own endpoints off and on, audited; another tenant's answers as a missing one and changes nothing", async () => {
    const browser = await logIn(a.key);
    const before = await endpointRow(B_EP);
    for (const action of ["disable", "enable"])
      for (const [id, fields] of [
        [B_EP, []],
        [B_EP, [["tenant", B_ID]]],
        ["ep_nothing", []],
      ] satisfies [string, [string, string][]][]) {
        const res = await postForm(`/dashboard/endpoints/${id}/${action}`, fields, browser);
        expect(res.status).toBe(303);
        expect(res.headers.get("location")).toBe("/dashboard/endpoints?notice=endpoint_not_found");
      }
    expect(await endpointRow(B_EP)).toEqual(before);
    expect(await html("/dashboard/endpoints?notice=endpoint_not_found", browser)).toContain("No such endpoint.");
    expect(await auditActions()).toEqual([]);

    // Without the session's form token: refused, nothing changed.
    const forged = await postForm(`/dashboard/endpoints/${A_EP}/disable`, [["form_token", "forged"]], browser);
    expect(forged.status).toBe(403);
    expect(await endpointRow(A_EP)).toMatchObject({ disabled_at: null });

    const off = await postForm(`/dashboard/endpoints/${A_EP}/disable`, [], browser);
    expect(off.headers.get("location")).toBe("/dashboard/endpoints?notice=endpoint_disabled");
    expect(await endpointRow(A_EP)).toMatchObject({ disabled_at: expect.any(Number), pending_drain: "fail" });
    const disabled = await html(off.headers.get("location")!, browser);
    expect(disabled).toContain("Endpoint disabled");
    expect(rowText(disabled, A_EP)).toMatch(/disabled \d+ s ago failing what waited .* Enable $/);

    const on = await postForm(`/dashboard/endpoints/${A_EP2}/enable`, [], browser);
    expect(on.headers.get("location")).toBe("/dashboard/endpoints?notice=endpoint_enabled");
    expect(await endpointRow(A_EP2)).toMatchObject({ circuit_opened_at: null, consecutive_failures: 0, pending_drain: "release" });
    expect(await auditActions()).toEqual([
      { action: "endpoint.disable", target: A_EP, tenant_id: A_ID, actor_kind: "key" },
      { action: "endpoint.enable", target: A_EP2, tenant_id: A_ID, actor_kind: "key" },
    ]);
  });

  it("shows the admin every tenant's endpoints with a tenant column and filter, and turns any of them", async () => {
    const admin = await logIn(ADMIN_KEY);
    const all = await html("/dashboard/endpoints", admin);
    expect(rowsIn(all)).toEqual([A_EP, A_EP2, B_EP]);
    expect(all).toContain("<th>tenant</th>");
    expect(rowText(all, B_EP)).toContain("Bravo");
    expect(rowText(all, B_EP)).toMatch(/healthy 0\.0 % 777 \/ 777 ms 2 /);
    expect(rowsIn(await html(`/dashboard/endpoints?tenant=${B_ID}`, admin))).toEqual([B_EP]);
    expect(rowsIn(await html("/dashboard/endpoints?tenant=ten_nobody", admin))).toEqual([]);

    // The admin's form names the endpoint's tenant; a wrong one finds nothing.
    const wrong = await postForm(`/dashboard/endpoints/${B_EP}/disable`, [["tenant", A_ID]], admin);
    expect(wrong.headers.get("location")).toBe("/dashboard/endpoints?notice=endpoint_not_found");
    const res = await postForm(
      `/dashboard/endpoints/${B_EP}/disable`,
      [
        ["tenant", B_ID],
        ["filter", B_ID],
      ],
      admin,
    );
    expect(res.headers.get("location")).toBe(`/dashboard/endpoints?tenant=${B_ID}&notice=endpoint_disabled`);
    expect(await endpointRow(B_EP)).toMatchObject({ disabled_at: expect.any(Number) });
    expect(await auditActions()).toEqual([{ action: "endpoint.disable", target: B_EP, tenant_id: B_ID, actor_kind: "admin" }]);
  });
});

describe("the endpoints page's Recover", () => {
  beforeEach(resetDb);

  /** A task to `url`, its message failed at once (the receiver answers 410). */
  async function failedMessage(url: string) {
    const task = await upstreamTask([{ status: "succeed" }]);
    expect((await register({ task_id: task.id, callback_url: url })).status).toBe(201);
    await tick(manualClock());
  }
  const messageStates = async () =>
    (
      await env.DB.prepare("SELECT m.endpoint_id, m.state FROM messages m ORDER BY m.created_at").all<{
        endpoint_id: string;
        state: string;
      }>()
    ).results;

  it("sends the endpoint's failed messages of the chosen hours again, audited; another tenant's answers as a missing one", async () => {
    const hook = await receiver([{ status: 410 }]);
    await failedMessage(hook.url);
    await failedMessage(hook.url);
    const id = (await messageStates())[0]!.endpoint_id;
    // One of them from two days ago: outside the last 24 h.
    await env.DB.prepare("UPDATE messages SET created_at = created_at - ? WHERE rowid = (SELECT min(rowid) FROM messages)")
      .bind(48 * HOUR)
      .run();
    const before = await messageStates();

    const other = await logIn((await tenantWithKey(A_ID, "Acme")).key);
    const refused = await postForm(`/dashboard/endpoints/${id}/recover`, [["hours", "24"]], other);
    expect(refused.headers.get("location")).toBe("/dashboard/endpoints?notice=endpoint_not_found");
    expect(await messageStates()).toEqual(before);

    const browser = await logIn();
    const page24 = await html("/dashboard/endpoints", browser);
    expect(rowText(page24, id)).toContain("Recover");
    const res = await postForm(`/dashboard/endpoints/${id}/recover`, [["hours", "24"]], browser);
    expect(res.headers.get("location")).toBe("/dashboard/endpoints?notice=endpoint_recovered&recovered=1");
    expect(await html(res.headers.get("location")!, browser)).toContain("Recovery queued for 1 failed message:");
    expect((await messageStates()).map((m) => m.state)).toEqual(["failed", "scheduled"]);
    const [entry] = (await env.DB.prepare("SELECT action, target, detail FROM audit_log").all<{ detail: string }>()).results;
    expect(entry).toMatchObject({ action: "endpoint.recover", target: id });
    expect(JSON.parse(entry!.detail)).toMatchObject({ recovered: 1, more: false });

    // A week back reaches the older one; a disabled endpoint is refused with a notice.
    expect((await postForm(`/dashboard/endpoints/${id}/recover`, [["hours", "168"]], browser)).headers.get("location")).toBe(
      "/dashboard/endpoints?notice=endpoint_recovered&recovered=1",
    );
    await postForm(`/dashboard/endpoints/${id}/disable`, [], browser);
    expect((await postForm(`/dashboard/endpoints/${id}/recover`, [], browser)).headers.get("location")).toBe(
      "/dashboard/endpoints?notice=endpoint_recover_disabled",
    );
  });
});

describe("loadEndpointStats", () => {
  beforeEach(resetDb);

  it("counts at most the newest STATS_MAX_ATTEMPTS of an endpoint's day", async () => {
    const now = Date.now();
    // 5 old failures, then STATS_MAX_ATTEMPTS successes: the failures fall outside the slice.
    await env.DB.prepare(
      `WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
       INSERT INTO delivery_attempts (message_id, endpoint_id, attempted_at, status_code, duration_ms)
       SELECT 'msg_x', 'ep_busy', ? + i, CASE WHEN i < 5 THEN 500 ELSE 204 END, i % 100 FROM n`,
    )
      .bind(STATS_MAX_ATTEMPTS + 4, now - HOUR)
      .run();
    const stats = await loadEndpointStats(openDb(env.DB), ["ep_busy", "ep_idle"], now);
    expect(stats.get("ep_busy")).toEqual({ attempts: STATS_MAX_ATTEMPTS, succeeded: STATS_MAX_ATTEMPTS, p50Ms: 49, p95Ms: 94 });
    expect(stats.has("ep_idle")).toBe(false);
  });

  it("counts the first attempts kept in messages with the logged ones, each once, within the day", async () => {
    const now = Date.now();
    // Kept: three of the last hour (10, 20, 30 ms), one of 25 h ago (outside the day).
    for (const [i, createdAt, ms] of [
      [1, now - HOUR, 10],
      [2, now - HOUR, 20],
      [3, now - HOUR, 30],
      [4, now - 25 * HOUR, 5],
    ] as const)
      await keptAttempt(`msg_k${i}`, "ep_mix", createdAt, createdAt + 1_000, i === 1 ? 204 : 200, ms);
    // Logged: a 500 (40 ms) and a 200 (50 ms) of the last hour.
    await attempts("ep_mix", [40, 50], now - HOUR, 1);
    const stats = await loadEndpointStats(openDb(env.DB), ["ep_mix"], now);
    expect(stats.get("ep_mix")).toEqual({ attempts: 5, succeeded: 4, p50Ms: 30, p95Ms: 50 });
  });

  it("counts at most the kept first attempts of the newest STATS_MAX_ATTEMPTS messages of an endpoint's day", async () => {
    const now = Date.now();
    // 5 old failures, then STATS_MAX_ATTEMPTS successes, all kept: the failures fall outside the slice.
    await env.DB.prepare(
      `WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
       INSERT INTO messages (id, subscription_id, endpoint_id, event_type, status, state, created_at, updated_at, first_attempt)
       SELECT 'msg_b' || i, 'sub_b' || i, 'ep_busy', 'task.succeeded', 'delivered', 'delivered', ? + i, ? + i,
         json_object('attempted_at', ? + i + 1, 'status_code', CASE WHEN i < 5 THEN 500 ELSE 204 END, 'duration_ms', i % 100) FROM n`,
    )
      .bind(STATS_MAX_ATTEMPTS + 4, now - HOUR, now - HOUR, now - HOUR)
      .run();
    const stats = await loadEndpointStats(openDb(env.DB), ["ep_busy"], now);
    expect(stats.get("ep_busy")).toEqual({ attempts: STATS_MAX_ATTEMPTS, succeeded: STATS_MAX_ATTEMPTS, p50Ms: 49, p95Ms: 94 });
  });
});

/** A delivered message of `endpointId` whose first attempt is kept in its row (storage/first-attempt.ts). */
async function keptAttempt(id: string, endpointId: string, createdAt: number, attemptedAt: number, statusCode: number, ms: number) {
  await env.DB.prepare(
    `INSERT INTO messages (id, subscription_id, endpoint_id, event_type, status, state, created_at, updated_at, first_attempt)
     VALUES (?1, 'sub_' || ?1, ?2, 'task.succeeded', 'delivered', 'delivered', ?3, ?3,
       json_object('attempted_at', ?4, 'status_code', ?5, 'duration_ms', ?6, 'response_body', NULL))`,
  )
    .bind(id, endpointId, createdAt, attemptedAt, statusCode, ms)
    .run();
}
