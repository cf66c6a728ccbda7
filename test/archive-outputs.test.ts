/** `GET /v1/tasks/{task_id}/outputs`: a task's outputs with fresh links to their archived copies. */
import { env, exports } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { TaskOutputsSchema } from "../src/api-kit/api-schemas";
import type { Env } from "../src/env";
import { ARCHIVING, hexOf, media, registerTask as register, upstreamSha256, videoTask } from "./support/archive";
import {
  API_KEY,
  manualClock,
  pollOnly,
  receiver,
  relayRequest,
  resetDb,
  tenantWithKey,
  tick,
  unique,
  upstreamTask,
} from "./support/relay";

const TTL_SECONDS = 604_800;

type Output = Record<string, any>;
type Answer = {
  task_id: string;
  provider: string;
  task_status: string | null;
  archive: string | null;
  links_expire_at: string | null;
  outputs: Output[];
  /** An error's envelope instead. */
  error?: { code: string; message: string; details?: { field: string }[] };
};

/** The route's answer: its status, headers, exact text and parsed body. */
async function outputsOf(taskId: string, o: { query?: string; key?: string; overrides?: Partial<Env> } = {}) {
  const res = await relayRequest(
    `/v1/tasks/${taskId}/outputs${o.query ?? ""}`,
    { headers: { authorization: `Bearer ${o.key ?? API_KEY}` } },
    o.overrides ?? ARCHIVING,
  );
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, body: JSON.parse(text) as Answer };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The SHA-256 of the bytes a link serves. */
async function follow(link: string) {
  const res = await exports.default.fetch(new Request(link));
  expect(res.status).toBe(200);
  return hexOf(await crypto.subtle.digest("SHA-256", await res.arrayBuffer()));
}

const expiresOf = (link: string) => Number(new URL(link).searchParams.get("expires"));

/** A video task registered (with `archive: true` unless told) to a fresh receiver. */
async function archivedTask(registration: Record<string, unknown> = { archive: true }, overrides: Partial<Env> = ARCHIVING) {
  const task = await videoTask();
  const hook = await receiver();
  expect((await register({ task_id: task.id, callback_url: hook.url, ...registration }, overrides)).status).toBe(201);
  const webhooks = async () => (await hook.deliveries()).map((d) => JSON.parse(d.body) as { type: string; outputs: Output[] });
  return { task, webhooks };
}

const setFile = (taskId: string, field: string, status: string, lastError: string | null = null) =>
  env.DB.prepare(
    "UPDATE archive_files SET status = ?, last_error = ? WHERE field = ? AND task_key = (SELECT id FROM tasks WHERE task_id = ? AND tenant_id = 'default')",
  )
    .bind(status, lastError, field, taskId)
    .run();

describe("GET /v1/tasks/{task_id}/outputs", () => {
  beforeEach(async () => {
    await resetDb();
    await media({});
    await fetch(`${env.FAKE_URL}/_sim/media`, { method: "DELETE" });
  });

  it("links every copied file afresh: signed now, valid ARCHIVE_LINK_TTL_SECONDS, later than the webhook's, serving the same bytes", async () => {
    const { task, webhooks } = await archivedTask();
    await tick(manualClock(), ARCHIVING);
    const [webhook] = await webhooks();
    const sent = webhook!.outputs[0]!;
    expect(sent.archived_url).toMatch(/\/0-url\?expires=/);
    // A second of real time later: a link signed now expires a second (or more) later than the webhook's.
    await sleep(1_100);
    const before = Math.floor(Date.now() / 1000);
    const answer = await outputsOf(task.id);
    const after = Math.floor(Date.now() / 1000);
    expect(answer.status).toBe(200);
    expect(answer.headers.get("cache-control")).toBe("no-store");
    expect(answer.headers.get("content-type")).toMatch(/^application\/json/);
    expect(answer.body).toMatchObject({ task_id: task.id, provider: "cometapi", task_status: "succeed", archive: "done" });
    const [output, ...more] = answer.body.outputs;
    expect(more).toEqual([]);
    // The output as the webhook has it, but for the links.
    const { archived_url: url, archived_watermark_url: watermark, ...rest } = output!;
    const { archived_url: sentUrl, archived_watermark_url: sentWatermark, ...sentRest } = sent;
    expect(rest).toEqual(sentRest);
    expect(url).not.toBe(sentUrl);
    expect(watermark).not.toBe(sentWatermark);
    expect(url).toMatch(/^http:\/\/relay\.test\/files\/default\/cometapi\/.+\/0-url\?expires=\d+&signature=[A-Za-z0-9_-]{43}$/);
    expect(watermark).toMatch(/\/0-watermark_url\?expires=\d+&signature=/);
    expect(expiresOf(url)).toBeGreaterThan(expiresOf(sentUrl));
    expect(expiresOf(url)).toBeGreaterThanOrEqual(before + TTL_SECONDS);
    expect(expiresOf(url)).toBeLessThanOrEqual(after + TTL_SECONDS);
    expect(expiresOf(watermark)).toBe(expiresOf(url));
    expect(answer.body.links_expire_at).toBe(new Date(expiresOf(url) * 1000).toISOString());
    expect(await follow(url)).toBe(await upstreamSha256(task.id, "video-0.mp4"));
    expect(await follow(watermark)).toBe(await upstreamSha256(task.id, "watermark-0.mp4"));
    expect(await follow(url)).toBe(await follow(sentUrl));

    // Another answer another second later: fresh again, and ARCHIVE_LINK_TTL_SECONDS says how long.
    await sleep(1_100);
    const now = Math.floor(Date.now() / 1000);
    const short = await outputsOf(task.id, { overrides: { ...ARCHIVING, ARCHIVE_LINK_TTL_SECONDS: "120" } });
    const link = short.body.outputs[0]!.archived_url as string;
    expect(link).not.toBe(url);
    expect(expiresOf(link) - now).toBeGreaterThanOrEqual(120);
    expect(expiresOf(link) - now).toBeLessThanOrEqual(121);
    expect(short.body.links_expire_at).toBe(new Date(expiresOf(link) * 1000).toISOString());
  });

  it("matches its documented schema, keeping every key of the outputs", async () => {
    const { task } = await archivedTask();
    await tick(manualClock(), ARCHIVING);
    const { body } = await outputsOf(task.id);
    expect(Object.keys(body).sort()).toEqual(Object.keys(TaskOutputsSchema.shape).sort());
    const parsed = TaskOutputsSchema.parse(body);
    expect(parsed.outputs[0]).toMatchObject({ type: "video", id: `${task.id}-v`, duration: "5.1" });
    // As the answer has them (zod's parse puts the keys it names first).
    expect(Object.keys(body.outputs[0]!)).toEqual([
      "type",
      "id",
      "url",
      "watermark_url",
      "duration",
      "archived_url",
      "archived_watermark_url",
    ]);
  });

  it("keeps every number of the outputs exactly as upstream wrote it", async () => {
    const id = unique("task");
    const url = `${env.FAKE_URL}/media/${id}/video-0.mp4`;
    const data = `{"task_id":"${id}","task_status":"succeed","task_result":{"videos":[{"id":123456789012345678901234567890,"url":"${url}","duration":5.10}]},"created_at":1777385361501}`;
    await upstreamTask([{ http: 200, body: `{"code":0,"message":"SUCCEED","data":${data}}` }], { id });
    const hook = await receiver();
    expect((await register({ task_id: id, callback_url: hook.url, archive: true })).status).toBe(201);
    await tick(manualClock(), ARCHIVING);
    const { text, body } = await outputsOf(id);
    expect(text).toContain(
      `"outputs":[{"type":"video","id":123456789012345678901234567890,"url":${JSON.stringify(url)},"duration":5.10,"archived_url":"`,
    );
    expect(await follow(body.outputs[0]!.archived_url)).toBe(await upstreamSha256(id, "video-0.mp4"));
  });

  it("says pending for a file whose copy is still held, linking the files already copied", async () => {
    const task = await videoTask();
    await media({ perFile: { [`${task.id}/video-0.mp4`]: { failTimes: 2 } } });
    const hook = await receiver();
    expect((await register({ task_id: task.id, callback_url: hook.url, archive: true })).status).toBe(201);
    await tick(manualClock(), ARCHIVING);
    expect(await hook.deliveries()).toHaveLength(0);
    const { body } = await outputsOf(task.id);
    expect(body.archive).toBe("copying");
    const [output] = body.outputs;
    expect(output!.archive_status).toBe("pending");
    expect(output).not.toHaveProperty("archived_url");
    expect(output).not.toHaveProperty("archive_error");
    expect(await follow(output!.archived_watermark_url)).toBe(await upstreamSha256(task.id, "watermark-0.mp4"));
    expect(body.links_expire_at).toBe(new Date(expiresOf(output!.archived_watermark_url) * 1000).toISOString());
  });

  it("says pending for every file of a task that succeeded before its files were listed, and links nothing", async () => {
    const { task } = await archivedTask();
    // Polled, not archived yet: the archive phase lists the files.
    await pollOnly(manualClock());
    const { body } = await outputsOf(task.id);
    expect(body).toMatchObject({ task_status: "succeed", archive: "requested", links_expire_at: null });
    expect(body.outputs).toHaveLength(1);
    expect(body.outputs[0]).toMatchObject({ type: "video", archive_status: "pending" });
    expect(Object.keys(body.outputs[0]!).filter((k) => k.startsWith("archived_"))).toEqual([]);
  });

  it("answers no outputs before the task succeeds", async () => {
    const { task } = await archivedTask();
    const { status, body } = await outputsOf(task.id);
    expect(status).toBe(200);
    expect(body).toEqual({
      task_id: task.id,
      provider: "cometapi",
      task_status: null,
      archive: "requested",
      links_expire_at: null,
      outputs: [],
    });
  });

  it("gives a failed file's archive_error as the webhook words it, beside a fresh link to the copied one", async () => {
    const task = await videoTask();
    await media({ perFile: { [`${task.id}/watermark-0.mp4`]: { status: 404 } } });
    const hook = await receiver();
    const overrides = { ...ARCHIVING, ARCHIVE_MAX_ATTEMPTS: "1" };
    expect((await register({ task_id: task.id, callback_url: hook.url, archive: true }, overrides)).status).toBe(201);
    await tick(manualClock(), overrides);
    const [delivery] = await hook.deliveries();
    const sent = (JSON.parse(delivery!.body) as { outputs: Output[] }).outputs[0]!;
    expect(sent.archive_error).toBe("watermark_url: upstream answered 404 (after 1 attempts)");
    const { body } = await outputsOf(task.id);
    const [output] = body.outputs;
    expect(output!.archive_error).toBe(sent.archive_error);
    expect(output).not.toHaveProperty("archived_watermark_url");
    expect(output).not.toHaveProperty("archive_status");
    expect(await follow(output!.archived_url)).toBe(await upstreamSha256(task.id, "video-0.mp4"));
  });

  it('says "deleted by retention" of a deleted file, naming it, and only the first file given up', async () => {
    const { task } = await archivedTask();
    await tick(manualClock(), ARCHIVING);
    await setFile(task.id, "watermark_url", "deleted");
    const one = (await outputsOf(task.id)).body.outputs[0]!;
    expect(one.archive_error).toBe("watermark_url: deleted by retention");
    expect(one).not.toHaveProperty("archived_watermark_url");
    expect(one.archived_url).toMatch(/\/0-url\?expires=/);

    await setFile(task.id, "url", "deleted");
    await setFile(task.id, "watermark_url", "failed", "upstream answered 410");
    const { body } = await outputsOf(task.id);
    const both = body.outputs[0]!;
    expect(both.archive_error).toBe("deleted by retention");
    expect(Object.keys(both).filter((k) => k.startsWith("archived_"))).toEqual([]);
    expect(body.links_expire_at).toBeNull();
  });

  it("without ARCHIVE_LINK_SECRET or PUBLIC_BASE_URL links nothing, saying why as the webhook does", async () => {
    const { task } = await archivedTask();
    await tick(manualClock(), ARCHIVING);
    for (const overrides of [{ ...ARCHIVING, ARCHIVE_LINK_SECRET: "" }, { PUBLIC_BASE_URL: "" }]) {
      const { status, body } = await outputsOf(task.id, { overrides });
      expect(status).toBe(200);
      expect(body.links_expire_at).toBeNull();
      const [output] = body.outputs;
      expect(output!.archive_error).toBe("copied, but the relay has no ARCHIVE_LINK_SECRET or PUBLIC_BASE_URL to link it");
      expect(Object.keys(output!).filter((k) => k.startsWith("archived_"))).toEqual([]);
    }
  });

  it("answers the outputs unchanged for a task not archived", async () => {
    const { task, webhooks } = await archivedTask({});
    await tick(manualClock(), ARCHIVING);
    const { status, headers, body } = await outputsOf(task.id);
    expect(status).toBe(200);
    expect(headers.get("cache-control")).toBe("no-store");
    expect(body).toMatchObject({ task_status: "succeed", archive: null, links_expire_at: null });
    expect(body.outputs).toEqual((await webhooks())[0]!.outputs);
    expect(Object.keys(body.outputs[0]!)).toEqual(["type", "id", "url", "watermark_url", "duration"]);
  });

  it("answers 404 for another tenant's task exactly as for an unknown one, and for another provider", async () => {
    const { task } = await archivedTask();
    await tick(manualClock(), ARCHIVING);
    const other = await tenantWithKey(unique("ten"), "Other");
    const theirs = await outputsOf(task.id, { key: other.key });
    const unknown = await outputsOf("no-such-task", { key: other.key });
    expect(theirs.status).toBe(404);
    expect(unknown.status).toBe(404);
    expect(theirs.text).not.toContain("relay.test/files");
    expect(theirs.text.replace(task.id, "ID")).toBe(unknown.text.replace("no-such-task", "ID"));
    expect(theirs.body).toEqual({
      error: { code: "not_found", message: `no task ${task.id} is registered with provider cometapi` },
    });
    // The task view answers the same.
    const view = await relayRequest(`/v1/tasks/${task.id}`, { headers: { authorization: `Bearer ${other.key}` } }, ARCHIVING);
    expect(await view.text()).toBe(theirs.text);

    const kling = await outputsOf(task.id, { query: "?provider=kling" });
    expect(kling.status).toBe(404);
    expect(kling.body.error).toMatchObject({ code: "not_found", message: `no task ${task.id} is registered with provider kling` });
  });

  it("shows each tenant its own task for the same upstream id", async () => {
    const { task } = await archivedTask();
    const other = await tenantWithKey(unique("ten"), "Other");
    const hook = await receiver();
    expect((await register({ task_id: task.id, callback_url: hook.url }, ARCHIVING, other.key)).status).toBe(201);
    await tick(manualClock(), ARCHIVING);
    const mine = await outputsOf(task.id);
    const theirs = await outputsOf(task.id, { key: other.key });
    expect(mine.body.archive).toBe("done");
    expect(mine.body.outputs[0]).toHaveProperty("archived_url");
    expect(theirs.body).toMatchObject({ archive: null, links_expire_at: null });
    expect(theirs.text).not.toContain("archived_");
  });

  it("refuses a malformed id or provider with 400, never 500", async () => {
    for (const [id, query, field] of [
      ["a".repeat(129), "", "task_id"],
      ["a%2Fb", "", "task_id"],
      ["a.b", "", "task_id"],
      ["abc", "?provider=other", "provider"],
    ] as const) {
      const res = await outputsOf(id, { query });
      expect(res.status, `${id}${query}`).toBe(400);
      expect(res.body.error).toMatchObject({ code: "invalid_request", details: [{ field }] });
    }
    const longest = await outputsOf("a".repeat(128));
    expect(longest.status).toBe(404);
  });
});
