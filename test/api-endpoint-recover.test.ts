/**
 * `POST /v1/endpoints/{id}/recover`: after a receiver's outage, every failed message of one endpoint
 * since a time is sent again, a bounded number a request; nothing of another tenant's, of another
 * endpoint's, or from before the time changes.
 */
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { RECOVER_BATCH } from "../src/storage/recover-endpoint";
import { ARCHIVING, media, registerTask, videoTask } from "./support/archive";
import { API_KEY, api, manualClock, receiver, register, relayRequest, resetDb, tick, upstreamTask } from "./support/relay";
import { asJson, newTenant } from "./support/tenants";

const recover = (endpointId: string, body: unknown, key?: string) =>
  (key === undefined ? api : (path: string, init: RequestInit) => api(path, init, key))(`/v1/endpoints/${endpointId}/recover`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  }).then(asJson);

const HOUR = 3_600_000;
const ago = (ms: number) => new Date(Date.now() - ms).toISOString();

const messageRows = async () =>
  (
    await env.DB.prepare(
      "SELECT m.id, m.endpoint_id, m.state, m.status, m.schedule_step, m.next_attempt_at, s.status AS subscription FROM messages m JOIN subscriptions s ON s.id = m.subscription_id ORDER BY m.id",
    ).all<Record<string, unknown>>()
  ).results;
const allRows = async () => ({
  messages: (await env.DB.prepare("SELECT * FROM messages ORDER BY id").all()).results,
  subscriptions: (await env.DB.prepare("SELECT * FROM subscriptions ORDER BY id").all()).results,
  tasks: (await env.DB.prepare("SELECT * FROM tasks ORDER BY id").all()).results,
});

/** A task to `url`, its message failed at once (the receiver answers 410). */
async function failedMessage(url: string) {
  const task = await upstreamTask([{ status: "succeed" }]);
  const sub = await register({ task_id: task.id, callback_url: url });
  expect(sub.status).toBe(201);
  await tick(manualClock());
  const row = await env.DB.prepare("SELECT id, endpoint_id, state FROM messages WHERE subscription_id = ?")
    .bind(sub.body.id)
    .first<{ id: string; endpoint_id: string; state: string }>();
  expect(row?.state).toBe("failed");
  return row!;
}

describe("POST /v1/endpoints/{id}/recover", () => {
  beforeEach(resetDb);

  it("sends every failed message of the endpoint since the time again, with a fresh retry cycle, and they deliver", async () => {
    // Three 410s (the outage), then 200s.
    const hook = await receiver([{ status: 410 }, { status: 410 }, { status: 410 }, { status: 200 }]);
    const other = await receiver([{ status: 410 }]);
    const old = await failedMessage(hook.url);
    await env.DB.prepare("UPDATE messages SET created_at = created_at - ? WHERE id = ?")
      .bind(2 * HOUR, old.id)
      .run();
    const first = await failedMessage(hook.url);
    const second = await failedMessage(hook.url);
    const elsewhere = await failedMessage(other.url);
    expect(first.endpoint_id).toBe(old.endpoint_id);

    const res = await recover(first.endpoint_id, { since: ago(HOUR) });
    expect(res).toEqual({ status: 202, body: { recovered: 2, more: false } });
    const rows = new Map((await messageRows()).map((r) => [r.id, r]));
    for (const id of [first.id, second.id])
      expect(rows.get(id)).toMatchObject({ state: "scheduled", status: "pending", schedule_step: 0, subscription: "active" });
    expect(rows.get(old.id)).toMatchObject({ state: "failed", subscription: "failed" });
    expect(rows.get(elsewhere.id)).toMatchObject({ state: "failed", subscription: "failed" });

    await tick(manualClock(Date.now() + 1_000));
    const after = new Map((await messageRows()).map((r) => [r.id, r]));
    for (const id of [first.id, second.id]) expect(after.get(id)).toMatchObject({ state: "delivered", subscription: "delivered" });
    const attempts = await api(`/v1/messages/${first.id}/attempts`).then(asJson);
    expect(attempts.body.data.map((a: { status_code: number }) => a.status_code)).toEqual([410, 200]);

    // Nothing failed is left since then.
    expect(await recover(first.endpoint_id, { since: ago(HOUR) })).toEqual({ status: 202, body: { recovered: 0, more: false } });
  });

  it(`moves at most ${RECOVER_BATCH} a request and says when more are left`, async () => {
    const hook = await receiver([{ status: 410 }]);
    const one = await failedMessage(hook.url);
    // RECOVER_BATCH more failed messages of the same subscription (one per made-up event type).
    await env.DB.prepare(
      `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${RECOVER_BATCH})
      INSERT INTO messages (id, subscription_id, tenant_id, endpoint_id, event_type, status, state, created_at, updated_at)
      SELECT 'msg_bulk_' || i, m.subscription_id, m.tenant_id, m.endpoint_id, 'task.bulk_' || i, 'failed', 'failed', m.created_at + i, m.created_at
      FROM n, messages m WHERE m.id = ?`,
    )
      .bind(one.id)
      .run();
    expect(await recover(one.endpoint_id, { since: ago(HOUR) })).toEqual({ status: 202, body: { recovered: RECOVER_BATCH, more: true } });
    // Oldest first: the last one made is what is left.
    const left = await env.DB.prepare("SELECT id FROM messages WHERE state = 'failed'").all<{ id: string }>();
    expect(left.results).toEqual([{ id: `msg_bulk_${RECOVER_BATCH}` }]);
    expect(await recover(one.endpoint_id, { since: ago(HOUR) })).toEqual({ status: 202, body: { recovered: 1, more: false } });
  });

  it("sends a task.succeeded of an archived task with its links signed anew", async () => {
    await media({});
    const task = await videoTask();
    const hook = await receiver();
    expect((await registerTask({ task_id: task.id, callback_url: hook.url, archive: true })).status).toBe(201);
    // The first links are signed for one minute only; then the message is taken for failed.
    await tick(manualClock(), { ...ARCHIVING, ARCHIVE_LINK_TTL_SECONDS: "60" });
    const message = await env.DB.prepare("SELECT id, endpoint_id FROM messages").first<{ id: string; endpoint_id: string }>();
    await env.DB.prepare("UPDATE messages SET state = 'failed', status = 'failed' WHERE id = ?").bind(message!.id).run();
    const res = await relayRequest(
      `/v1/endpoints/${message!.endpoint_id}/recover`,
      {
        method: "POST",
        headers: { authorization: `Bearer ${API_KEY}`, "content-type": "application/json" },
        body: JSON.stringify({ since: ago(HOUR) }),
      },
      ARCHIVING,
    );
    expect(await res.json()).toEqual({ recovered: 1, more: false });
    await tick(manualClock(Date.now() + 1_000), ARCHIVING);
    const [first, again] = (await hook.deliveries()).map((d) => JSON.parse(d.body) as { outputs: { archived_url: string }[] });
    const expiresOf = (w: typeof first) => Number(new URL(w!.outputs[0]!.archived_url).searchParams.get("expires"));
    expect(expiresOf(again) - expiresOf(first)).toBeGreaterThanOrEqual(7 * 86_400 - 65);
  });

  it("answers another tenant's endpoint exactly as a missing one, changing nothing", async () => {
    const hook = await receiver([{ status: 410 }]);
    const failed = await failedMessage(hook.url);
    const other = await newTenant();
    const before = await allRows();
    const missing = await recover("ep_000000000000000000000000", { since: ago(HOUR) }, other.key);
    const cross = await recover(failed.endpoint_id, { since: ago(HOUR) }, other.key);
    expect(missing.status).toBe(404);
    expect(cross.status).toBe(404);
    expect(JSON.stringify(cross.body).replace(failed.endpoint_id, "ID")).toBe(
      JSON.stringify(missing.body).replace("ep_000000000000000000000000", "ID"),
    );
    expect(await allRows()).toEqual(before);
  });

  it("answers 409 endpoint_disabled for a disabled endpoint, changing nothing", async () => {
    const hook = await receiver([{ status: 410 }]);
    const failed = await failedMessage(hook.url);
    await env.DB.prepare("UPDATE endpoints SET disabled_at = ? WHERE id = ?").bind(Date.now(), failed.endpoint_id).run();
    const before = await allRows();
    const res = await recover(failed.endpoint_id, { since: ago(HOUR) });
    expect(res.status).toBe(409);
    expect(res.body.error).toMatchObject({
      code: "endpoint_disabled",
      message: expect.stringContaining(`/v1/endpoints/${failed.endpoint_id}/enable`),
    });
    expect(await allRows()).toEqual(before);
  });

  it.each([
    ["in the future", { since: new Date(Date.now() + HOUR).toISOString() }],
    ["before the retention period", { since: ago(31 * 24 * HOUR) }],
    ["not a time", { since: "yesterday" }],
    ["missing", {}],
  ])("answers 400 when since is %s", async (_name, body) => {
    const hook = await receiver([{ status: 410 }]);
    const failed = await failedMessage(hook.url);
    const before = await allRows();
    const res = await recover(failed.endpoint_id, body);
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: "invalid_request", details: [expect.objectContaining({ field: "since" })] });
    expect(await allRows()).toEqual(before);
  });
});
