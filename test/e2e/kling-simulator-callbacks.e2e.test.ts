/**
 * The Kling simulator's creates and callbacks over loopback HTTP: a create in each dialect
 * (CometAPI, Kling legacy, Kling new) answers the documented shape and the task is then queryable
 * by id and by external id; creates can be refused, answered late or lost on demand; a task
 * created with a callback URL is POSTed its state on every status change, exactly as a query
 * answers it then, signed with Standard Webhooks in the Kling dialects (verified here with the
 * independent `standardwebhooks` package) and never in CometAPI's. A tiny node:http receiver on
 * loopback records what arrives. Timelines are a few hundred ms; every wait has a deadline.
 */
import { createHmac } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { UpstreamDialect } from "../../tools/fake-protocol";
import { fetchText, readBody } from "../../tools/http-helpers";
import { signStandardWebhook } from "../../tools/kling-callbacks";
import { startLoopbackNetwork } from "../../tools/loopback-network";
import { loopbackNetworkForFile, unique } from "./simulator-fixture";

const COMET_KEY = "cb-comet-key";
const KLING = { apiKey: "cb-kling-api-key", accessKey: "cb-access-key", secretKey: "cb-secret-key" };
const SECRET = `whsec_${Buffer.from("the current callback secret, 32b").toString("base64")}`;
const PREVIOUS_SECRET = `whsec_${Buffer.from("the previous callback secret, 32").toString("base64")}`;
const TIMEOUT_MS = 5_000;
/** The longest any one wait for callbacks may take. */
const WAIT_MS = 3_000;

let receiver: Server;
let receiverUrl: string;

interface Arrival {
  path: string;
  headers: Record<string, string>;
  body: string;
  at: number;
}
const arrivals: Arrival[] = [];
/** What the receiver answers on a path (default 200). */
const answers = new Map<string, number>();

const sim = loopbackNetworkForFile({ apiKey: COMET_KEY, kling: KLING, seed: 7 });

beforeAll(async () => {
  receiver = createServer((req, res) => {
    void readBody(req).then((body) => {
      const path = req.url ?? "/";
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string") headers[k] = v;
      arrivals.push({ path, headers, body, at: Date.now() });
      res.writeHead(answers.get(path) ?? 200, { "content-type": "text/plain" });
      res.end("ok");
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
});
afterAll(async () => {
  receiver?.closeAllConnections();
  await new Promise<void>((resolve) => (receiver ? receiver.close(() => resolve()) : resolve()));
});
beforeEach(async () => {
  // Each test waits for its own callbacks; this makes sure none is still on its way.
  const deadline = Date.now() + WAIT_MS;
  while ((await call("/_sim/callbacks")).body.pending > 0 && Date.now() < deadline) await sleep(10);
  await call("/_sim/clock", { method: "PUT", body: { now: null } });
  await call("/_sim/creates", { method: "PUT", body: { mode: "ok" } });
  await call("/_sim/callbacks", {
    method: "PUT",
    body: { secret: null, previousSecret: null, delayMs: 0, lossRate: 0, timestampSkewS: 0 },
  });
});

async function call(path: string, init: { method?: string; auth?: string; body?: unknown; timeoutMs?: number; base?: string } = {}) {
  const { res, text } = await fetchText(`${init.base ?? sim.network.url}${path}`, {
    method: init.method ?? "GET",
    headers: init.auth === undefined ? {} : { authorization: init.auth, "content-type": "application/json" },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
    timeoutMs: init.timeoutMs ?? TIMEOUT_MS,
  });
  return { status: res.status, body: text ? (JSON.parse(text) as any) : null };
}

const bearer = (token: string) => `Bearer ${token}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits (at most `WAIT_MS`) until `path` received `count` callbacks; returns them. */
async function arrived(path: string, count: number): Promise<Arrival[]> {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const got = arrivals.filter((a) => a.path === path);
    if (got.length >= count) return got;
    if (Date.now() > deadline) throw new Error(`${path} received ${got.length} callbacks within ${WAIT_MS} ms, expected ${count}`);
    await sleep(10);
  }
}
const arrivedAt = (path: string) => arrivals.filter((a) => a.path === path);
const callbackPath = (name: string) => `/cb/${unique(name)}`;

/** One dialect's create and queries, so the tests can run every dialect alike. */
interface Dialect {
  dialect: UpstreamDialect;
  /** POSTs a create with these fields (top-level, or under `options` for the new API). */
  create(fields: { external_task_id?: string; callback_url?: string }, xSim?: Record<string, unknown>): ReturnType<typeof call>;
  /** The task id a create answer carries. */
  idOf(answer: any): string;
  /** The task as a query answers it now, by id or external id: the legacy `data` or the batch entry. */
  query(id: string, by?: "id" | "external"): Promise<{ status: number; task: any }>;
  /** The status a callback body (or a query's task) carries. */
  statusOf(task: any): string;
}

const DIALECTS: Dialect[] = [
  {
    dialect: "cometapi",
    create: (fields, xSim) =>
      call("/kling/v1/videos/text2video", { method: "POST", auth: bearer(COMET_KEY), body: { prompt: "a cat", ...fields, x_sim: xSim } }),
    idOf: (answer) => answer.data.task_id,
    query: async (id) => {
      const res = await call(`/kling/v1/videos/text2video/${id}`, { auth: bearer(COMET_KEY) });
      return { status: res.status, task: res.body?.data };
    },
    statusOf: (task) => task.task_status,
  },
  {
    dialect: "kling-legacy",
    create: (fields, xSim) =>
      call("/v1/videos/avatar/image2video", { method: "POST", auth: bearer(KLING.apiKey), body: { image: "x", ...fields, x_sim: xSim } }),
    idOf: (answer) => answer.data.task_id,
    query: async (id) => {
      const res = await call(`/v1/videos/avatar/image2video/${id}`, { auth: bearer(KLING.apiKey) });
      return { status: res.status, task: res.body?.data };
    },
    statusOf: (task) => task.task_status,
  },
  {
    dialect: "kling-new",
    create: (fields, xSim) =>
      call("/text-to-video/kling-3.0-turbo", {
        method: "POST",
        auth: bearer(KLING.apiKey),
        body: { prompt: "a cat", options: fields, x_sim: xSim },
      }),
    idOf: (answer) => answer.data.id,
    query: async (id, by = "id") => {
      const res = await call(`/tasks?${by === "id" ? "task_ids" : "external_task_ids"}=${id}`, { auth: bearer(KLING.apiKey) });
      return { status: res.status, task: res.body?.data?.[0] };
    },
    statusOf: (task) => task.status,
  },
];
const dialect = (name: UpstreamDialect) => DIALECTS.find((d) => d.dialect === name)!;
/** A timeline that reaches its end at once: all three callbacks leave at creation. */
const QUICK = { submittedMs: 0, processingMs: 0 };

describe("creates in each dialect", () => {
  it("CometAPI: POST /kling/v1/{action}/{action2} answers the legacy envelope; the task is found by id and by external id", async () => {
    const external = unique("comet-ext");
    const res = await dialect("cometapi").create({ external_task_id: external });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      code: 0,
      message: "SUCCEED",
      request_id: expect.any(String),
      data: {
        task_id: expect.any(String),
        task_status: "submitted",
        task_info: { external_task_id: external },
        created_at: expect.any(Number),
        updated_at: res.body.data.created_at,
      },
    });
    const id = res.body.data.task_id;
    const byId = await call(`/kling/v1/videos/text2video/${id}`, { auth: bearer(COMET_KEY) });
    const byExternal = await call(`/kling/v1/videos/text2video/${external}`, { auth: bearer(COMET_KEY) });
    expect(byId.body.data).toMatchObject({ task_id: id, task_info: { external_task_id: external } });
    expect(byExternal.body.data).toMatchObject({ task_id: id, task_info: { external_task_id: external } });
    // Another pair does not see it.
    expect((await call(`/kling/v1/videos/image2video/${external}`, { auth: bearer(COMET_KEY) })).status).toBe(404);
  });

  it("Kling legacy: POST /v1/{product path} with the API key or a JWT; found at /v1/{product}/{id or external id}", async () => {
    const external = unique("leg-ext");
    const res = await dialect("kling-legacy").create({ external_task_id: external });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      code: 0,
      message: "SUCCEED",
      request_id: expect.any(String),
      data: {
        task_id: expect.any(String),
        task_status: "submitted",
        task_info: { external_task_id: external },
        created_at: expect.any(Number),
        updated_at: expect.any(Number),
      },
    });
    const id = res.body.data.task_id;
    expect((await dialect("kling-legacy").query(id)).task).toMatchObject({ task_id: id, task_info: { external_task_id: external } });
    expect((await dialect("kling-legacy").query(external)).task).toMatchObject({ task_id: id });
    // Only the legacy dialect sees it.
    expect((await dialect("cometapi").query(external)).status).toBe(404);

    const header = Buffer.from(JSON.stringify({ alg: "HS256", typ: "JWT" })).toString("base64url");
    const claims = Buffer.from(JSON.stringify({ iss: KLING.accessKey, exp: Math.floor(Date.now() / 1000) + 1800 })).toString("base64url");
    const jwt = `${header}.${claims}.${createHmac("sha256", KLING.secretKey).update(`${header}.${claims}`).digest("base64url")}`;
    const byJwt = await call("/v1/images/omni-image", { method: "POST", auth: bearer(jwt), body: { prompt: "a cat" } });
    expect(byJwt.status).toBe(200);
    expect(byJwt.body.data).toMatchObject({ task_status: "submitted", task_info: { external_task_id: "" } });
    const noAuth = await call("/v1/images/omni-image", { method: "POST", body: {} });
    expect(noAuth).toEqual({ status: 401, body: { code: 1001, message: expect.any(String), request_id: expect.any(String) } });
  });

  it("Kling new: POST /{product}/{model} with the API key only; found by GET /tasks?task_ids= and ?external_task_ids=", async () => {
    const external = unique("new-ext");
    const res = await dialect("kling-new").create({ external_task_id: external });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      code: 0,
      message: "SUCCEED",
      request_id: expect.any(String),
      data: {
        id: expect.any(String),
        status: "submitted",
        create_time: expect.any(Number),
        update_time: expect.any(Number),
        external_id: external,
      },
    });
    const id = res.body.data.id;
    expect((await dialect("kling-new").query(id)).task).toMatchObject({ id, external_id: external, status: "submitted" });
    expect((await dialect("kling-new").query(external, "external")).task).toMatchObject({ id });
    for (const product of ["image-to-video/kling-3.0", "omni-video/kling-2.6", "motion-control/kling-3.0-turbo"]) {
      const other = await call(`/${product}`, { method: "POST", auth: bearer(KLING.apiKey), body: { options: {} } });
      expect(other.status, product).toBe(200);
      expect(other.body.data).toMatchObject({ status: "submitted", external_id: "" });
    }
    const jwtLike = await call("/text-to-video/kling-3.0", { method: "POST", auth: bearer("a.b.c"), body: {} });
    expect(jwtLike.status).toBe(401);
    expect(jwtLike.body.code).toBe(1002);
    const badModel = await call("/text-to-video/sora", { method: "POST", auth: bearer(KLING.apiKey), body: {} });
    expect(badModel.status).toBe(400);
    expect(badModel.body.code).toBe(1201);
  });

  it.each(DIALECTS.map((d) => [d.dialect, d] as const))(
    "%s: a duplicate external id within the dialect answers 400 code 1201; bad fields too",
    async (_, d) => {
      const external = unique("dup");
      expect((await d.create({ external_task_id: external })).status).toBe(200);
      const again = await d.create({ external_task_id: external });
      expect(again).toEqual({
        status: 400,
        body: { code: 1201, message: expect.stringContaining(external), request_id: expect.any(String) },
      });
      // Another dialect may use the same external id.
      const other = DIALECTS.find((o) => o !== d)!;
      expect((await other.create({ external_task_id: external })).status).toBe(200);
      const badUrl = await d.create({ callback_url: "ftp://example.invalid/hook" });
      expect(badUrl.status).toBe(400);
      expect(badUrl.body.code).toBe(1201);
    },
  );
});

describe("create faults: PUT /_sim/creates", () => {
  it("refuse: creates nothing and answers 400 code 1301 by default, or the status, code and message given, count times", async () => {
    const d = dialect("kling-legacy");
    await call("/_sim/creates", { method: "DELETE" });
    await call("/_sim/creates", { method: "PUT", body: { mode: "refuse" } });
    const external = unique("refused");
    const refused = await d.create({ external_task_id: external });
    expect(refused).toEqual({ status: 400, body: { code: 1301, message: "content policy violation", request_id: expect.any(String) } });
    expect((await d.query(external)).status).toBe(404);
    // One create only: the next one goes through, and the refused external id is free.
    expect((await d.create({ external_task_id: external })).status).toBe(200);

    const set = await call("/_sim/creates", {
      method: "PUT",
      body: { mode: "refuse", count: 2, status: 429, code: 1303, message: "concurrency over resource pack limit" },
    });
    expect(set.body.script).toMatchObject({ mode: "refuse", remaining: 2, status: 429, code: 1303 });
    for (const other of [dialect("kling-new"), dialect("cometapi")]) {
      const res = await other.create({});
      expect(res).toEqual({
        status: 429,
        body: { code: 1303, message: "concurrency over resource pack limit", request_id: expect.any(String) },
      });
    }
    expect((await d.create({})).status).toBe(200);
    const counts = (await call("/_sim/creates")).body;
    expect(counts.script).toBeNull();
    expect(counts.counts["kling-legacy"]).toEqual({ ok: 2, refuse: 1, timeout: 0, lost: 0, invalid: 0 });
    expect(counts.counts["kling-new"]).toMatchObject({ refuse: 1 });
    expect(counts.counts.cometapi).toMatchObject({ refuse: 1 });
    expect((await call("/_sim/creates", { method: "PUT", body: { mode: "nope" } })).status).toBe(400);
  });

  it("timeout: creates the task at once and answers only after delayMs", async () => {
    const d = dialect("kling-new");
    await call("/_sim/creates", { method: "PUT", body: { mode: "timeout", delayMs: 400 } });
    const external = unique("late");
    const started = Date.now();
    const answer = d.create({ external_task_id: external });
    await sleep(100);
    // The task exists before its create answers.
    expect((await d.query(external, "external")).task).toMatchObject({ external_id: external, status: "submitted" });
    const res = await answer;
    expect(Date.now() - started).toBeGreaterThanOrEqual(380);
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({ status: "submitted", external_id: external });
    expect((await call("/_sim/creates")).body.counts["kling-new"].timeout).toBeGreaterThanOrEqual(1);
  });

  it("timeout: a client that gives up first gets nothing, the task exists, and the next create answers", async () => {
    const d = dialect("cometapi");
    await call("/_sim/creates", { method: "PUT", body: { mode: "timeout" } });
    const external = unique("gave-up");
    await expect(
      call("/kling/v1/videos/text2video", {
        method: "POST",
        auth: bearer(COMET_KEY),
        body: { external_task_id: external },
        timeoutMs: 200,
      }),
    ).rejects.toThrow(/no answer within 0.2 s/);
    expect((await d.query(external)).task).toMatchObject({ task_info: { external_task_id: external } });
    expect((await d.create({})).status).toBe(200);
  });

  it("lost: creates the task and closes the connection without an answer", async () => {
    const d = dialect("kling-legacy");
    await call("/_sim/creates", { method: "PUT", body: { mode: "lost" } });
    const external = unique("lost");
    const path = callbackPath("lost-create");
    await expect(
      d.create({ external_task_id: external, callback_url: `${receiverUrl}${path}` }, { submittedMs: 0, processingMs: 0 }),
    ).rejects.toThrow(/failed/);
    expect((await d.query(external)).task).toMatchObject({ task_status: "succeed", task_info: { external_task_id: external } });
    // The task ran all the same: its callbacks came.
    const [submitted] = await arrived(path, 3);
    expect(JSON.parse(submitted!.body)).toMatchObject({ task_status: "submitted", task_info: { external_task_id: external } });
    expect((await call("/_sim/creates")).body.counts["kling-legacy"].lost).toBeGreaterThanOrEqual(1);
  });
});

describe("callbacks", () => {
  it.each(DIALECTS.map((d) => [d.dialect, d] as const))(
    "%s: submitted at creation, processing and the terminal status when the timeline reaches them",
    async (_, d) => {
      const path = callbackPath(d.dialect);
      const external = unique("cb");
      const started = Date.now();
      const created = await d.create(
        { external_task_id: external, callback_url: `${receiverUrl}${path}` },
        { submittedMs: 200, processingMs: 200 },
      );
      expect(created.status).toBe(200);
      const id = d.idOf(created.body);
      const got = await arrived(path, 3);
      await sleep(50);
      expect(arrivedAt(path)).toHaveLength(3);
      const bodies = got.map((a) => JSON.parse(a.body));
      if (d.dialect === "kling-new") {
        expect(bodies.map(d.statusOf)).toEqual(["submitted", "processing", "succeeded"]);
        for (const body of bodies)
          expect(Object.keys(body).sort()).toEqual([
            "billing",
            "create_time",
            "external_id",
            "id",
            "message",
            "outputs",
            "status",
            "update_time",
          ]);
        expect(bodies[2]).toMatchObject({ id, external_id: external, outputs: [{ type: "video", url: expect.any(String) }] });
      } else {
        expect(bodies.map(d.statusOf)).toEqual(["submitted", "processing", "succeed"]);
        for (const body of bodies) {
          expect(body).not.toHaveProperty("code");
          expect(body).toMatchObject({ task_id: id, task_info: { external_task_id: external }, created_at: expect.any(Number) });
        }
        expect(bodies[2].task_result).toMatchObject({ videos: [{ url: expect.any(String) }] });
      }
      // The terminal callback is what a query answers now.
      expect((await d.query(id)).task).toEqual(bodies[2]);
      // Processing and the end came when the timeline reached them, not at once.
      expect(got[1]!.at - started).toBeGreaterThanOrEqual(200);
      expect(got[2]!.at - started).toBeGreaterThanOrEqual(400);
      for (const a of got) expect(a.headers["content-type"]).toBe("application/json");
    },
  );

  it.each(DIALECTS.map((d) => [d.dialect, d] as const))(
    "%s: with the clock pinned, each move of the clock sends the callbacks it reached, each equal to the query then",
    async (_, d) => {
      const start = Date.now();
      await call("/_sim/clock", { method: "PUT", body: { now: start } });
      const path = callbackPath(`pinned-${d.dialect}`);
      const created = await d.create(
        { callback_url: `${receiverUrl}${path}` },
        { submittedMs: 60_000, processingMs: 600_000, outcome: "failed", failMessage: "moderation" },
      );
      const id = d.idOf(created.body);
      const [submitted] = await arrived(path, 1);
      expect(JSON.parse(submitted!.body)).toEqual((await d.query(id)).task);

      await call("/_sim/clock", { method: "PUT", body: { now: start + 59_000 } });
      await sleep(100);
      expect(arrivedAt(path)).toHaveLength(1);

      await call("/_sim/clock", { method: "PUT", body: { now: start + 60_000 } });
      const [, processing] = await arrived(path, 2);
      const processingBody = JSON.parse(processing!.body);
      expect(processingBody).toEqual((await d.query(id)).task);
      expect(d.statusOf(processingBody)).toBe("processing");

      await call("/_sim/clock", { method: "PUT", body: { now: start + 3_600_000 } });
      const [, , failed] = await arrived(path, 3);
      const failedBody = JSON.parse(failed!.body);
      expect(failedBody).toEqual((await d.query(id)).task);
      expect(failedBody).toMatchObject(
        d.dialect === "kling-new" ? { status: "failed", message: "moderation" } : { task_status: "failed", task_status_msg: "moderation" },
      );
    },
  );

  it("a jump of the clock past several changes sends them all, in order; unpinning hands back to timers", async () => {
    const d = dialect("kling-legacy");
    const start = Date.now();
    await call("/_sim/clock", { method: "PUT", body: { now: start } });
    const jumped = callbackPath("jump");
    await d.create({ callback_url: `${receiverUrl}${jumped}` }, { submittedMs: 1_000, processingMs: 1_000 });
    await call("/_sim/clock", { method: "PUT", body: { now: start + 10_000 } });
    const got = await arrived(jumped, 3);
    expect(got.map((a) => JSON.parse(a.body).task_status)).toEqual(["submitted", "processing", "succeed"]);

    // Pinned at creation, then unpinned: the real clock's timers send the rest.
    await call("/_sim/clock", { method: "PUT", body: { now: Date.now() } });
    const handed = callbackPath("unpin");
    await d.create({ callback_url: `${receiverUrl}${handed}` }, { submittedMs: 100, processingMs: 100 });
    await arrived(handed, 1);
    await call("/_sim/clock", { method: "PUT", body: { now: null } });
    await arrived(handed, 3);
  });

  it("Kling-dialect callbacks are signed with the secret (Standard Webhooks); CometAPI's never are", async () => {
    await call("/_sim/callbacks", { method: "PUT", body: { secret: SECRET } });
    const paths = new Map<UpstreamDialect, string>();
    for (const d of DIALECTS) {
      const path = callbackPath(`signed-${d.dialect}`);
      paths.set(d.dialect, path);
      await d.create({ callback_url: `${receiverUrl}${path}` }, { submittedMs: 0, processingMs: 0 });
    }
    for (const d of DIALECTS) {
      const got = await arrived(paths.get(d.dialect)!, 3);
      for (const a of got) {
        if (d.dialect === "cometapi") {
          expect(Object.keys(a.headers).filter((h) => h.startsWith("webhook-"))).toEqual([]);
          continue;
        }
        expect(a.headers["webhook-id"]).toEqual(expect.any(String));
        expect(Math.abs(Number(a.headers["webhook-timestamp"]) - Date.now() / 1000)).toBeLessThan(30);
        expect(a.headers["webhook-signature"]).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
        expect(new Webhook(SECRET).verify(a.body, a.headers)).toEqual(JSON.parse(a.body));
        expect(() => new Webhook(PREVIOUS_SECRET).verify(a.body, a.headers)).toThrow();
      }
      // One webhook-id per message: nothing is retried, so no two share one.
      if (d.dialect !== "cometapi") expect(new Set(got.map((a) => a.headers["webhook-id"])).size).toBe(3);
    }
    const log = (await call("/_sim/callbacks")).body.log as any[];
    expect(log.filter((e) => e.dialect === "cometapi").every((e) => e.signed === false)).toBe(true);
    expect(
      log
        .filter((e) => e.dialect !== "cometapi")
        .slice(-6)
        .every((e) => e.signed === true),
    ).toBe(true);
  });

  it("during a rotation each callback carries two signatures, one per secret", async () => {
    await call("/_sim/callbacks", { method: "PUT", body: { secret: SECRET, previousSecret: PREVIOUS_SECRET } });
    const path = callbackPath("rotation");
    await dialect("kling-new").create({ callback_url: `${receiverUrl}${path}` }, QUICK);
    const [a] = await arrived(path, 3);
    expect(a!.headers["webhook-signature"]!.split(" ")).toHaveLength(2);
    expect(new Webhook(SECRET).verify(a!.body, a!.headers)).toMatchObject({ status: "submitted" });
    expect(new Webhook(PREVIOUS_SECRET).verify(a!.body, a!.headers)).toMatchObject({ status: "submitted" });
    expect((await call("/_sim/callbacks", { method: "PUT", body: { secret: "not-a-secret" } })).status).toBe(400);
  });

  it("signs as Kling's published test vector says", () => {
    const body = '{"id":"1234567890","status":"succeeded","message":"","create_time":1781080778802,"update_time":1781080794151}';
    expect(signStandardWebhook("whsec_dGVzdHNlY3JldHRlc3RzZWNyZXR0ZXN0c2VjcmV0MTI=", "9876543210", 1781080794, body)).toBe(
      "v1,UsKlJP00XoQyOn410NM9xv34sP+Gl0jnOO9Lcpr7NJ4=",
    );
  });

  it("timestampSkewS shifts webhook-timestamp: a stale signature a verifier refuses", async () => {
    await call("/_sim/callbacks", { method: "PUT", body: { secret: SECRET, timestampSkewS: -600 } });
    const path = callbackPath("stale");
    await dialect("kling-legacy").create({ callback_url: `${receiverUrl}${path}` }, QUICK);
    const [a] = await arrived(path, 3);
    expect(Number(a!.headers["webhook-timestamp"])).toBeLessThan(Date.now() / 1000 - 590);
    expect(() => new Webhook(SECRET).verify(a!.body, a!.headers)).toThrow(/timestamp/i);
  });

  it("lossRate 1 sends nothing and counts every callback lost", async () => {
    await call("/_sim/callbacks", { method: "DELETE" });
    await call("/_sim/callbacks", { method: "PUT", body: { lossRate: 1 } });
    const path = callbackPath("lost");
    const created = await dialect("kling-legacy").create({ callback_url: `${receiverUrl}${path}` }, { submittedMs: 50, processingMs: 50 });
    const id = created.body.data.task_id;
    const deadline = Date.now() + WAIT_MS;
    let stats = (await call("/_sim/callbacks")).body;
    while (stats.lost < 3 && Date.now() < deadline) {
      await sleep(20);
      stats = (await call("/_sim/callbacks")).body;
    }
    expect(stats).toMatchObject({ sent: 0, lost: 3, failed: 0, pending: 0 });
    expect(stats.log.map((e: any) => [e.task_id, e.status, e.http_status, e.outcome])).toEqual([
      [id, "submitted", null, "lost"],
      [id, "processing", null, "lost"],
      [id, "succeed", null, "lost"],
    ]);
    expect(arrivedAt(path)).toEqual([]);
  });

  it("delayMs holds each callback back", async () => {
    await call("/_sim/callbacks", { method: "PUT", body: { delayMs: 300 } });
    const path = callbackPath("delayed");
    const started = Date.now();
    await dialect("cometapi").create({ callback_url: `${receiverUrl}${path}` }, QUICK);
    await sleep(150);
    expect(arrivedAt(path)).toEqual([]);
    const got = await arrived(path, 3);
    // Each leaves delayMs after its status change (all three at creation here), in order.
    expect(got[0]!.at - started).toBeGreaterThanOrEqual(300);
    expect(got.map((a) => JSON.parse(a.body).task_status)).toEqual(["submitted", "processing", "succeed"]);
  });

  it("a callback answered non-2xx, or not answered at all, counts failed and is not retried", async () => {
    await call("/_sim/callbacks", { method: "DELETE" });
    const path = callbackPath("refusing");
    answers.set(path, 500);
    const created = await dialect("kling-new").create({ callback_url: `${receiverUrl}${path}` }, { submittedMs: 0, processingMs: 0 });
    await arrived(path, 3);
    // A closed port: nobody answers.
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    await dialect("kling-new").create({ callback_url: `http://127.0.0.1:${port}/gone` }, QUICK);

    const deadline = Date.now() + WAIT_MS;
    let stats = (await call("/_sim/callbacks")).body;
    while ((stats.failed < 6 || stats.pending > 0) && Date.now() < deadline) {
      await sleep(20);
      stats = (await call("/_sim/callbacks")).body;
    }
    expect(stats).toMatchObject({ sent: 0, lost: 0, failed: 6, pending: 0 });
    expect(stats.log.map((e: any) => [e.status, e.http_status])).toEqual([
      ["submitted", 500],
      ["processing", 500],
      ["succeeded", 500],
      ["submitted", null],
      ["processing", null],
      ["succeeded", null],
    ]);
    expect(stats.log[3].error).toEqual(expect.any(String));
    expect(stats.log[0]).toMatchObject({ task_id: created.body.data.id, dialect: "kling-new", at: expect.any(Number), signed: false });
    await sleep(200);
    expect(arrivedAt(path)).toHaveLength(3);
    await call("/_sim/callbacks", { method: "DELETE" });
    expect((await call("/_sim/callbacks")).body).toMatchObject({ sent: 0, lost: 0, failed: 0, log: [] });
  });

  it("a task put under /_sim/tasks with callback_url calls back too", async () => {
    const path = callbackPath("put");
    const id = unique("put");
    const put = await call(`/_sim/tasks/${id}`, {
      method: "PUT",
      body: {
        dialect: "kling-new",
        external_id: "put-ext",
        callback_url: `${receiverUrl}${path}`,
        timeline: { submittedMs: 0, processingMs: 0 },
      },
    });
    expect(put.status).toBe(200);
    const got = await arrived(path, 3);
    expect(got.map((a) => JSON.parse(a.body).status)).toEqual(["submitted", "processing", "succeeded"]);
  });
});

describe("closing the simulator", () => {
  it("ends its timers, hanging creates and pending callbacks: nothing is sent afterwards", async () => {
    const other = await startLoopbackNetwork({ apiKey: COMET_KEY, kling: KLING });
    const path = callbackPath("closed");
    const created = await call("/kling/v1/videos/text2video", {
      base: other.url,
      method: "POST",
      auth: bearer(COMET_KEY),
      body: { callback_url: `${receiverUrl}${path}`, x_sim: { submittedMs: 300, processingMs: 300 } },
    });
    expect(created.status).toBe(200);
    await arrived(path, 1);
    await call("/_sim/creates", { base: other.url, method: "PUT", body: { mode: "timeout", delayMs: 60_000 } });
    const hanging = call("/kling/v1/videos/text2video", { base: other.url, method: "POST", auth: bearer(COMET_KEY), body: {} }).then(
      () => "answered",
      () => "ended",
    );
    await sleep(50);
    const closing = Date.now();
    await other.close();
    // Far below the hanging create's 60 s, with room for a loaded CI's pauses.
    expect(Date.now() - closing).toBeLessThan(5_000);
    expect(await hanging).toBe("ended");
    await sleep(700);
    expect(arrivedAt(path)).toHaveLength(1);
  });
});
