/**
 * `POST /v1/tasks/batch` when D1 fails (issue 26): the batch's valid items are written in one D1
 * transaction, so a fault leaves all of them written or none, never a half-made registration; the
 * request answers 503 `storage_unavailable` as a whole, and the client's retry of the same batch
 * answers each item as `POST /v1/tasks` would on retry: 200 with the same subscription and task for
 * what was written, the same error for an item that failed.
 */
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { app } from "../src/app";
import { type FaultPlan, faultyD1 } from "./support/faulty-d1";
import { API_KEY, receiver, register, resetDb } from "./support/relay";

type Json = Record<string, any>;

/** One batch through the app, its D1 failing as `plan` says (null: no fault). */
async function batch(tasks: unknown[], plan: FaultPlan | null) {
  const faults = faultyD1(env.DB, plan ?? { rate: 0, kinds: ["before"] });
  const res = await app.fetch(
    new Request("http://relay.test/v1/tasks/batch", {
      method: "POST",
      headers: { authorization: `Bearer ${API_KEY}`, "content-type": "application/json" },
      body: JSON.stringify({ tasks }),
    }),
    { ...env, DB: faults.db, REGISTRATION_LIMITER: undefined, REGISTRATION_RATE_LIMIT: "1000000" },
  );
  return {
    status: res.status,
    retryAfter: res.headers.get("retry-after"),
    body: (await res.json()) as Json,
    roundTrips: faults.log.roundTrips,
  };
}

/**
 * A batch of every kind of item, its task ids under `prefix`: two valid (a new task each, one with
 * metadata), one failing validation, one repeating the first
 * (409), one naming a task registered already with another action pair (409, decided in the write).
 */
async function mixedBatch(prefix: string, url: string) {
  const other = await register({ task_id: `${prefix}-registered`, callback_url: url });
  expect(other.status).toBe(201);
  const items = [
    { task_id: `${prefix}-a`, action: "videos", action2: "text2video", callback_url: url },
    { task_id: `${prefix}-b`, action: "videos", action2: "text2video", callback_url: url, metadata: { price: 1.5 } },
    { task_id: `${prefix}-c`, action: "videos", action2: "text2video", callback_url: "not a url" },
    { task_id: `${prefix}-a`, action: "videos", action2: "text2video", callback_url: url },
    { task_id: `${prefix}-registered`, action: "images", action2: "generations", callback_url: url },
  ];
  return { items, written: [0, 1], otherSubscription: other.body.id as string };
}

/** Each of the prefix's tasks with its subscriptions' ids, and the subscriptions whose task is gone. */
async function stored(prefix: string) {
  const { results } = await env.DB.prepare(
    `SELECT t.id AS task_key, t.task_id, group_concat(s.id) AS subscriptions, count(s.id) AS n
    FROM tasks t LEFT JOIN subscriptions s ON s.task_key = t.id WHERE t.task_id LIKE ?1 || '-%' GROUP BY t.id ORDER BY t.task_id`,
  )
    .bind(prefix)
    .all<{ task_key: string; task_id: string; subscriptions: string | null; n: number }>();
  const orphans = await env.DB.prepare(
    "SELECT count(*) AS n FROM subscriptions s WHERE NOT EXISTS (SELECT 1 FROM tasks t WHERE t.id = s.task_key)",
  ).first<{
    n: number;
  }>();
  return { tasks: results, orphanSubscriptions: orphans!.n };
}

/** An answer's per-item statuses and, for the subscriptions, their ids and task ids. */
const summary = (results: Json[]) =>
  results.map((r) =>
    r.subscription ? { status: r.status, id: r.subscription.id, task_id: r.subscription.task_id } : { status: r.status },
  );

describe("POST /v1/tasks/batch when D1 fails", () => {
  beforeEach(resetDb);

  it("writes all of its valid items or none, whichever round trip fails and however, and the client's retry answers each item with the same ids", async () => {
    const hook = await receiver();
    // Without faults: each item's answer, and how many round trips a batch makes.
    const clean = await mixedBatch("clean", hook.url);
    const baseline = await batch(clean.items, null);
    expect(baseline.status).toBe(200);
    expect(baseline.body.results.map((r: Json) => r.status)).toEqual([201, 201, 400, 409, 409]);
    const errors = baseline.body.results.filter((r: Json) => r.error).map((r: Json) => r.error);
    const roundTrips = baseline.roundTrips;
    expect(roundTrips).toBeGreaterThanOrEqual(3);

    for (const kind of ["before", "after"] as const)
      for (let at = 0; at < roundTrips; at++) {
        const prefix = `${kind}${at}`;
        const label = `round trip ${at} failing ${kind}`;
        const { items, written, otherSubscription } = await mixedBatch(prefix, hook.url);
        const first = await batch(items, { rate: 0, kinds: [kind], at: [at] });
        expect(first.status, label).toBe(503);
        expect(first.body.error.code, label).toBe("storage_unavailable");
        expect(first.retryAfter, label).toBe("2");

        // Nothing half-made: the batch's tasks all there, each with its one subscription, or none.
        const committed = kind === "after" && at === roundTrips - 1;
        const after = await stored(prefix);
        expect(after.orphanSubscriptions, label).toBe(0);
        expect(
          after.tasks.map((t) => [t.task_id, t.n]),
          label,
        ).toEqual([...(committed ? [`${prefix}-a`, `${prefix}-b`].map((id) => [id, 1]) : []), [`${prefix}-registered`, 1]]);

        // The client retries the same batch: what was written answers 200 with its ids, the rest
        // as the first time; a second retry answers the same ids again.
        const retry = await batch(items, null);
        expect(retry.status, label).toBe(200);
        const fresh = committed ? 200 : 201;
        expect(
          retry.body.results.map((r: Json) => r.status),
          label,
        ).toEqual([fresh, fresh, 400, 409, 409]);
        expect(
          retry.body.results.filter((r: Json) => r.error).map((r: Json) => r.error),
          label,
        ).toEqual(errors.map((e: Json) => ({ ...e, message: e.message.replaceAll("clean", prefix) })));
        const again = await batch(items, null);
        expect(summary(again.body.results), label).toEqual(
          summary(retry.body.results).map((r) => (r.status === 201 ? { ...r, status: 200 } : r)),
        );
        expect(retry.body.results[1].subscription.metadata, label).toEqual({ price: 1.5 });

        // The ids answered are the stored ones: one subscription per task, the first attempt's if it committed.
        const end = await stored(prefix);
        const byTask = new Map(end.tasks.map((t) => [t.task_id, t]));
        for (const i of written) {
          const { id, task_id } = retry.body.results[i].subscription;
          expect(byTask.get(task_id)?.subscriptions, label).toBe(id);
          if (committed) expect(after.tasks.find((t) => t.task_id === task_id)?.subscriptions, label).toBe(id);
        }
        expect(byTask.get(`${prefix}-registered`)?.subscriptions, label).toBe(otherSubscription);
        expect(end.tasks.length, label).toBe(3);
        expect(end.orphanSubscriptions, label).toBe(0);
      }
  });

  it("under random faults of both kinds, a client retrying each batch until it answers ends with one subscription per task, the same id every time", async () => {
    const hook = await receiver();
    const item = (n: number) => ({ task_id: `rnd-${n}`, action: "videos", action2: "text2video", callback_url: hook.url });
    const idOf = new Map<string, string>();
    let unavailable = 0;
    for (let i = 0; i < 24; i++) {
      const items = [item(i % 7), item((i * 3 + 1) % 7), item((i * 5 + 2) % 7)].filter(
        (it, k, all) => all.findIndex((o) => o.task_id === it.task_id) === k,
      );
      let res = await batch(items, { rate: 0.3, kinds: ["before", "after"], seed: i });
      for (let attempt = 1; res.status === 503 && attempt < 20; attempt++) {
        unavailable += 1;
        expect(res.body.error.code).toBe("storage_unavailable");
        res = await batch(items, { rate: 0.3, kinds: ["before", "after"], seed: 1000 * attempt + i });
      }
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      for (const r of res.body.results as Json[]) {
        const { id, task_id } = r.subscription;
        // 200 for a task this client never saw answered when an earlier attempt committed before failing.
        expect(idOf.has(task_id) ? [200] : [200, 201]).toContain(r.status);
        expect(idOf.get(task_id) ?? id).toBe(id);
        idOf.set(task_id, id);
      }
    }
    expect(unavailable).toBeGreaterThan(0);
    const end = await stored("rnd");
    expect(end.tasks.map((t) => [t.task_id, t.subscriptions])).toEqual([...idOf].sort(([a], [b]) => a.localeCompare(b)));
    expect(end.orphanSubscriptions).toBe(0);
  });
});
