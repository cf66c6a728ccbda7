/**
 * The Kling simulator's creates over loopback HTTP: a create in each dialect (CometAPI, Kling
 * legacy, Kling new) answers the documented shape and the task is then queryable by id and by
 * external id; creates can be refused, answered late or lost on demand.
 */
import { createHmac } from "node:crypto";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { UpstreamDialect } from "../../tools/fake-protocol";
import { fetchText } from "../../tools/http-helpers";
import { type LoopbackNetwork, startLoopbackNetwork } from "../../tools/loopback-network";

const COMET_KEY = "cb-comet-key";
const KLING = { apiKey: "cb-kling-api-key", accessKey: "cb-access-key", secretKey: "cb-secret-key" };
const TIMEOUT_MS = 5_000;

let network: LoopbackNetwork;
let sequence = 0;
const unique = (prefix: string) => `${prefix}-${++sequence}-${Date.now()}`;

beforeAll(async () => {
  network = await startLoopbackNetwork({ apiKey: COMET_KEY, kling: KLING, seed: 7 });
});
afterAll(async () => {
  await network?.close();
});
beforeEach(async () => {
  await call("/_sim/creates", { method: "PUT", body: { mode: "ok" } });
});

async function call(path: string, init: { method?: string; auth?: string; body?: unknown; timeoutMs?: number; base?: string } = {}) {
  const { res, text } = await fetchText(`${init.base ?? network.url}${path}`, {
    method: init.method ?? "GET",
    headers: init.auth === undefined ? {} : { authorization: init.auth, "content-type": "application/json" },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
    timeoutMs: init.timeoutMs ?? TIMEOUT_MS,
  });
  return { status: res.status, body: text ? (JSON.parse(text) as any) : null };
}

const bearer = (token: string) => `Bearer ${token}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One dialect's create and queries, so the tests can run every dialect alike. */
interface Dialect {
  dialect: UpstreamDialect;
  /** POSTs a create with these fields (top-level, or under `options` for the new API). */
  create(fields: { external_task_id?: string; callback_url?: string }, xSim?: Record<string, unknown>): ReturnType<typeof call>;
  /** The task id a create answer carries. */
  idOf(answer: any): string;
  /** The task as a query answers it now, by id or external id: the legacy `data` or the batch entry. */
  query(id: string, by?: "id" | "external"): Promise<{ status: number; task: any }>;
  terminal: string;
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
    terminal: "succeed",
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
    terminal: "succeed",
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
    terminal: "succeeded",
  },
];
const dialect = (name: UpstreamDialect) => DIALECTS.find((d) => d.dialect === name)!;

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
    await expect(d.create({ external_task_id: external }, { submittedMs: 0, processingMs: 0 })).rejects.toThrow(/failed/);
    // The task ran all the same.
    expect((await d.query(external)).task).toMatchObject({ task_status: "succeed", task_info: { external_task_id: external } });
    expect((await call("/_sim/creates")).body.counts["kling-legacy"].lost).toBeGreaterThanOrEqual(1);
  });
});
