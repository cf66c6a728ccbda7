/**
 * The Kling simulator's three dialects on one loopback port, driven over HTTP the way the relay
 * would: CometAPI's proxy (unchanged), Kling's legacy `/v1` single query with an API key or a JWT
 * (and its 1001-1004 answers), and the new API's `GET /tasks?task_ids=` batch query with its
 * typed outputs, left-out entries and the counts a test checks.
 */
import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { PRODUCT_PATHS } from "../../src/domain/product-paths";
import type { UpstreamStep, UpstreamTaskSpec } from "../../tools/fake-protocol";
import { fetchText } from "../../tools/http-helpers";
import { LEGACY_PRODUCTS } from "../../tools/kling-results";
import { loopbackNetworkForFile, unique } from "./simulator-fixture";

const COMET_KEY = "e2e-comet-key";
const KLING = { apiKey: "e2e-kling-api-key", accessKey: "e2e-access-key", secretKey: "e2e-secret-key" };
const TIMEOUT_MS = 5_000;

const sim = loopbackNetworkForFile({ apiKey: COMET_KEY, kling: KLING });

async function call(path: string, init: { method?: string; auth?: string; body?: unknown } = {}) {
  const { res, text } = await fetchText(`${sim.network.url}${path}`, {
    method: init.method ?? "GET",
    headers: init.auth === undefined ? {} : { authorization: init.auth },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
    timeoutMs: TIMEOUT_MS,
  });
  return { status: res.status, body: text ? (JSON.parse(text) as any) : null };
}

const bearer = (token: string) => `Bearer ${token}`;
const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");

/** A Kling JWT as its docs describe it: HS256, `iss` = access key, signed with the secret key. */
function jwt(claims: Record<string, unknown>, secret = KLING.secretKey, header: Record<string, unknown> = { alg: "HS256", typ: "JWT" }) {
  const signed = `${base64url(header)}.${base64url(claims)}`;
  return `${signed}.${createHmac("sha256", secret).update(signed).digest("base64url")}`;
}
const nowSeconds = () => Math.floor(Date.now() / 1000);
const validJwt = () => jwt({ iss: KLING.accessKey, exp: nowSeconds() + 1800, nbf: nowSeconds() - 5 });

async function task(id: string, spec: UpstreamTaskSpec) {
  const put = await call(`/_sim/tasks/${encodeURIComponent(id)}`, { method: "PUT", body: spec });
  expect(put.status).toBe(200);
  return id;
}
const polls = async (id: string) => (await call(`/_sim/tasks/${encodeURIComponent(id)}/polls`)).body.polls as number;

describe("CometAPI's dialect (the default)", () => {
  it("answers a scripted task as before, and does not see Kling-dialect tasks", async () => {
    const id = await task(unique("comet"), { action: "videos", action2: "text2video", steps: [{ status: "succeed" }] });
    const ok = await call(`/kling/v1/videos/text2video/${id}`, { auth: bearer(COMET_KEY) });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ code: 0, data: { task_id: id, task_status: "succeed", task_result: {} } });

    const legacy = await task(unique("legacy"), { dialect: "kling-legacy", steps: [{ status: "succeed" }] });
    expect((await call(`/kling/v1/videos/text2video/${legacy}`, { auth: bearer(COMET_KEY) })).body.code).toBe(1203);
    // The Kling API key is not a CometAPI key, and the CometAPI key is not a Kling one.
    expect((await call(`/kling/v1/videos/text2video/${id}`, { auth: bearer(KLING.apiKey) })).status).toBe(401);
    expect((await call(`/v1/videos/text2video/${legacy}`, { auth: bearer(COMET_KEY) })).body.code).toBe(1002);
  });
});

describe("Kling's legacy API: GET /v1/{product path}/{id}", () => {
  it("answers with the API key and with a valid JWT, step after step", async () => {
    const steps: UpstreamStep[] = [{ status: "submitted" }, { status: "processing" }, { status: "succeed" }];
    const id = await task(unique("leg"), { dialect: "kling-legacy", product: "videos/avatar/image2video", steps });
    const first = await call(`/v1/videos/avatar/image2video/${id}`, { auth: bearer(KLING.apiKey) });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ code: 0, message: "SUCCEED", data: { task_id: id, task_status: "submitted" } });
    expect(typeof first.body.request_id).toBe("string");
    const second = await call(`/v1/videos/avatar/image2video/${id}`, { auth: bearer(validJwt()) });
    expect(second.body.data.task_status).toBe("processing");
    const third = await call(`/v1/videos/avatar/image2video/${id}`, { auth: bearer(validJwt()) });
    expect(third.body.data).toMatchObject({ task_status: "succeed", task_result: { videos: [{ id: expect.any(String) }] } });
    expect(await polls(id)).toBe(3);
    // Another product path does not find it.
    expect((await call(`/v1/videos/text2video/${id}`, { auth: bearer(KLING.apiKey) })).status).toBe(404);
  });

  it.each([
    ["expired (exp in the past)", () => jwt({ iss: KLING.accessKey, exp: nowSeconds() - 10, nbf: nowSeconds() - 1900 }), 1004],
    ["not yet valid (nbf in the future)", () => jwt({ iss: KLING.accessKey, exp: nowSeconds() + 1800, nbf: nowSeconds() + 600 }), 1003],
    ["signed with another secret", () => jwt({ iss: KLING.accessKey, exp: nowSeconds() + 1800 }, "not-the-secret"), 1002],
    ["an unknown access key", () => jwt({ iss: "someone-else", exp: nowSeconds() + 1800, nbf: nowSeconds() - 5 }), 1002],
    ["alg none", () => jwt({ iss: KLING.accessKey, exp: nowSeconds() + 1800 }, KLING.secretKey, { alg: "none" }), 1002],
    ["not a token at all", () => "garbage", 1002],
  ])("answers 401 to a JWT that is %s", async (_, token, code) => {
    const id = await task(unique("leg"), { dialect: "kling-legacy", steps: [{ status: "processing" }] });
    const res = await call(`/v1/videos/text2video/${id}`, { auth: bearer(token()) });
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ code, message: expect.any(String), request_id: expect.any(String) });
    expect(await polls(id)).toBe(0);
  });

  it("answers 401 code 1001 without Authorization", async () => {
    const res = await call("/v1/videos/text2video/whatever");
    expect(res.status).toBe(401);
    expect(res.body.code).toBe(1001);
  });

  it("answers each product path's result shape", async () => {
    expect(LEGACY_PRODUCTS).toHaveLength(18);
    for (const product of LEGACY_PRODUCTS) {
      const id = await task(unique("shape"), { dialect: "kling-legacy", product, steps: [{ status: "succeed" }] });
      const res = await call(`/v1/${product}/${id}`, { auth: bearer(KLING.apiKey) });
      expect(res.status, product).toBe(200);
      const result = res.body.data.task_result;
      const keys = Object.keys(result).sort();
      if (product === "audio/text-to-audio") {
        expect(keys).toEqual(["audios"]);
        expect(result.audios[0]).toEqual({
          id: expect.any(String),
          url_mp3: expect.any(String),
          url_wav: expect.any(String),
          duration_mp3: expect.any(String),
          duration_wav: expect.any(String),
        });
      } else if (product === "audio/video-to-audio") {
        expect(keys).toEqual(["audios", "videos"]);
      } else if (product.startsWith("images/")) {
        expect(keys, product).toEqual(["images"]);
        expect(result.images[0]).toMatchObject({ index: 0, url: expect.any(String) });
      } else {
        expect(keys, product).toEqual(["videos"]);
        expect(result.videos[0]).toMatchObject({ id: expect.any(String), url: expect.any(String), duration: expect.any(String) });
      }
    }
  });

  it("answers a failure with task_status_msg, a script's own result verbatim, and finds a task by external id", async () => {
    const failed = await task(unique("fail"), {
      dialect: "kling-legacy",
      product: "images/omni-image",
      steps: [{ status: "failed", msg: "Failure to pass the risk control system" }],
    });
    const res = await call(`/v1/images/omni-image/${failed}`, { auth: bearer(KLING.apiKey) });
    expect(res.body).toMatchObject({ code: 0, message: "SUCCEED", data: { task_status: "failed", task_status_msg: expect.any(String) } });

    const external = unique("ext");
    const id = await task(unique("own"), {
      dialect: "kling-legacy",
      product: "general/ai-multi-shot",
      external_id: external,
      steps: [{ status: "succeed", result: { videos: [] } }],
    });
    const byExternal = await call(`/v1/general/ai-multi-shot/${external}`, { auth: bearer(KLING.apiKey) });
    expect(byExternal.body.data).toMatchObject({ task_id: id, task_info: { external_task_id: external }, task_result: { videos: [] } });
  });

  it("answers the timeline of a task put without steps", async () => {
    const id = await task(unique("tl"), {
      dialect: "kling-legacy",
      product: "videos/omni-video",
      timeline: { submittedMs: 0, processingMs: 0 },
    });
    const res = await call(`/v1/videos/omni-video/${id}`, { auth: bearer(validJwt()) });
    expect(res.body.data).toMatchObject({ task_status: "succeed", task_result: { videos: [{ url: expect.any(String) }] } });
  });

  it("refuses a task put with an unknown dialect or product path", async () => {
    expect((await call(`/_sim/tasks/${unique("bad")}`, { method: "PUT", body: { dialect: "kling-x", steps: [] } })).status).toBe(400);
    expect(
      (await call(`/_sim/tasks/${unique("bad")}`, { method: "PUT", body: { dialect: "kling-legacy", product: "videos/nope", steps: [] } }))
        .status,
    ).toBe(400);
  });
});

describe("the product paths the simulator serves", () => {
  // The relay polls exactly src/domain/product-paths.ts: the simulator must serve that list, no more
  // and no less, on both dialects (CometAPI only the pairs it proxies).
  it("are exactly the relay's list: each path on /v1, CometAPI's pairs on /kling/v1, nothing beside them", async () => {
    const missing = "no-such-task";
    for (const { action, action2, cometapi } of PRODUCT_PATHS) {
      const legacy = await call(`/v1/${action}/${action2}/${missing}`, { auth: bearer(KLING.apiKey) });
      expect(legacy.body.message, `${action}/${action2}`).toBe("task not found");
      const comet = await call(`/kling/v1/${action}/${action2}/${missing}`, { auth: bearer(COMET_KEY) });
      if (cometapi) expect(comet.body.code, `${action}/${action2}`).toBe(1203);
      else expect(comet.body.error?.type, `${action}/${action2}`).toBe("comet_api_error");
    }
    for (const other of ["videos/motion-control", "videos/nope", "general/text2video"]) {
      expect((await call(`/v1/${other}/${missing}`, { auth: bearer(KLING.apiKey) })).body.message, other).toBe("resource not found");
      expect((await call(`/kling/v1/${other}/${missing}`, { auth: bearer(COMET_KEY) })).body.error?.type, other).toBe("comet_api_error");
    }
  });
});

describe("Kling's new API: GET /tasks?task_ids=", () => {
  it("answers several ids in one request: typed outputs, a failed entry, left-out and unknown ids, one poll each", async () => {
    await call("/_sim/batches", { method: "DELETE" });
    const ok = await task(unique("new-ok"), { dialect: "kling-new", external_id: "mine-1", steps: [{ status: "succeeded" }] });
    const failed = await task(unique("new-fail"), { dialect: "kling-new", steps: [{ status: "failed", msg: "moderation" }] });
    const hidden = await task(unique("new-hidden"), { dialect: "kling-new", steps: [{ omit: true }, { status: "processing" }] });
    const audio = await task(unique("new-audio"), {
      dialect: "kling-new",
      product: "audio/text-to-audio",
      steps: [{ status: "succeeded" }],
    });
    const legacy = await task(unique("legacy"), { dialect: "kling-legacy", steps: [{ status: "succeed" }] });
    const ids = [ok, failed, hidden, audio, "never-created", legacy];
    const path = `/tasks?task_ids=${ids.join(",")}`;

    const first = await call(path, { auth: bearer(KLING.apiKey) });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ code: 0, message: "SUCCEED", request_id: expect.any(String) });
    const byId = new Map((first.body.data as any[]).map((e) => [e.id, e]));
    expect([...byId.keys()]).toEqual([ok, failed, audio]);
    expect(byId.get(ok)).toEqual({
      id: ok,
      status: "succeeded",
      message: "",
      create_time: expect.any(Number),
      update_time: expect.any(Number),
      external_id: "mine-1",
      outputs: [
        { type: "video", id: expect.any(String), url: expect.any(String), watermark_url: expect.any(String), duration: expect.any(String) },
      ],
      billing: [],
    });
    expect(byId.get(failed)).toMatchObject({ status: "failed", message: "moderation", outputs: [] });
    expect(byId.get(audio).outputs).toEqual([
      {
        type: "audio",
        id: expect.any(String),
        mp3_url: expect.any(String),
        wav_url: expect.any(String),
        mp3_duration: expect.any(String),
        wav_duration: expect.any(String),
      },
    ]);
    for (const id of [ok, failed, hidden, audio]) expect(await polls(id)).toBe(1);
    expect(await polls(legacy)).toBe(0);

    const second = await call(path, { auth: bearer(KLING.apiKey) });
    expect((second.body.data as any[]).find((e) => e.id === hidden)).toMatchObject({ status: "processing" });

    const batches = (await call("/_sim/batches")).body;
    expect(batches).toMatchObject({ requests: 2, idsRequested: 12, unknownIds: 4, maxIds: 6, maxUrlLength: path.length });
    expect(batches.log).toEqual([
      { ids, answered: [ok, failed, audio], urlLength: path.length, status: 200 },
      { ids, answered: [ok, failed, hidden, audio], urlLength: path.length, status: 200 },
    ]);
  });

  it("finds tasks by external id, and runs timeline tasks", async () => {
    const external = unique("ext");
    const id = await task(unique("new-tl"), { dialect: "kling-new", external_id: external, timeline: { submittedMs: 0, processingMs: 0 } });
    const res = await call(`/tasks?external_task_ids=${external}`, { auth: bearer(KLING.apiKey) });
    expect(res.body.data).toEqual([
      expect.objectContaining({ id, external_id: external, status: "succeeded", outputs: [expect.any(Object)] }),
    ]);
  });

  it("answers a whole request with the fault one task's script holds", async () => {
    const calm = await task(unique("calm"), { dialect: "kling-new", steps: [{ status: "processing" }] });
    const flaky = await task(unique("flaky"), {
      dialect: "kling-new",
      steps: [{ http: 503, body: { code: 5001 } }, { status: "processing" }],
    });
    const res = await call(`/tasks?task_ids=${calm},${flaky}`, { auth: bearer(KLING.apiKey) });
    expect(res).toEqual({ status: 503, body: { code: 5001 } });
    expect(await polls(calm)).toBe(1);
    const again = await call(`/tasks?task_ids=${calm},${flaky}`, { auth: bearer(KLING.apiKey) });
    expect((again.body.data as any[]).map((e) => e.status)).toEqual(["processing", "processing"]);
  });

  it("takes the API key only, and refuses malformed queries", async () => {
    const id = await task(unique("auth"), { dialect: "kling-new", steps: [{ status: "processing" }] });
    const byJwt = await call(`/tasks?task_ids=${id}`, { auth: bearer(validJwt()) });
    expect(byJwt.status).toBe(401);
    expect(byJwt.body.code).toBe(1002);
    expect((await call(`/tasks?task_ids=${id}`)).body.code).toBe(1001);
    expect((await call("/tasks", { auth: bearer(KLING.apiKey) })).status).toBe(400);
    expect((await call(`/tasks?task_ids=${id}&external_task_ids=x`, { auth: bearer(KLING.apiKey) })).status).toBe(400);
    expect(await polls(id)).toBe(0);
  });
});

describe("the credentials and limits under /_sim/kling", () => {
  it("changes what Kling's API accepts, and limits the ids per batch request", async () => {
    const id = await task(unique("cfg"), { dialect: "kling-new", steps: [{ status: "processing" }] });
    const set = await call("/_sim/kling", { method: "PUT", body: { apiKey: "rotated-key", maxBatchIds: 2 } });
    expect(set.body).toEqual({ ...KLING, apiKey: "rotated-key", maxBatchIds: 2 });
    try {
      expect((await call(`/tasks?task_ids=${id}`, { auth: bearer(KLING.apiKey) })).status).toBe(401);
      expect((await call(`/tasks?task_ids=${id}`, { auth: bearer("rotated-key") })).status).toBe(200);
      const tooMany = await call(`/tasks?task_ids=${id},b,c`, { auth: bearer("rotated-key") });
      expect(tooMany.status).toBe(400);
      expect(tooMany.body.code).toBe(1201);
      // Turning the JWT way off: a valid token is refused.
      await call("/_sim/kling", { method: "PUT", body: { accessKey: null } });
      expect((await call(`/v1/videos/text2video/${id}`, { auth: bearer(validJwt()) })).body.code).toBe(1002);
    } finally {
      await call("/_sim/kling", { method: "PUT", body: { ...KLING, maxBatchIds: null } });
    }
    expect((await call("/_sim/kling")).body).toEqual({ ...KLING, maxBatchIds: null });
    expect(sim.network.simulator.stats().requests["kling-new"]).toBeGreaterThan(0);
  });
});
