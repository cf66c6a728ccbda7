/** Archiving outputs to R2: `archive: true`, the copy in the tick, the held webhook and its links. */
import { createMessageBatch } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import type { Env } from "../src/env";
import { consumeBatch } from "../src/queue/consume-batch";
import { systemClock } from "../src/work/work-context";
import type { WorkMessage } from "../src/work/work-message";
import { ARCHIVING, hexOf, media, registerTask as register, upstreamSha256, videoTask } from "./support/archive";
import { logIn } from "./support/dashboard";
import { lingeringClock, manualClock, receiver, relayRequest, resetDb, tick, upstreamTask } from "./support/relay";

const MiB = 1024 * 1024;

const mediaStats = async () => (await (await fetch(`${env.FAKE_URL}/_sim/media`)).json()) as { requests: number };

/** A video task that succeeds at its first poll, registered with `archive` to a fresh receiver. */
async function archivedTask(registration: Record<string, unknown> = { archive: true }, overrides: Partial<Env> = ARCHIVING) {
  const task = await videoTask();
  const hook = await receiver();
  const res = await register({ task_id: task.id, callback_url: hook.url, ...registration }, overrides);
  expect(res.status).toBe(201);
  const webhooks = async () => (await hook.deliveries()).map((d) => JSON.parse(d.body) as { type: string; outputs: Record<string, any>[] });
  return { task, webhooks };
}

const files = (taskId: string) =>
  env.DB.prepare(
    "SELECT a.field, a.status, a.attempts, a.copied_bytes, a.size_bytes, a.content_type, a.last_error, a.r2_key FROM archive_files a JOIN tasks t ON t.id = a.task_key WHERE t.task_id = ? ORDER BY a.output_index, a.field",
  )
    .bind(taskId)
    .all<Record<string, any>>()
    .then((r) => r.results);

/** The bytes a link serves, as hex SHA-256, and its content type. */
async function follow(link: string) {
  const res = await exports.default.fetch(new Request(link));
  expect(res.status).toBe(200);
  return { type: res.headers.get("content-type"), sha256: hexOf(await crypto.subtle.digest("SHA-256", await res.arrayBuffer())) };
}

describe("archiving outputs to R2", () => {
  beforeEach(async () => {
    await resetDb();
    await media({});
    await fetch(`${env.FAKE_URL}/_sim/media`, { method: "DELETE" });
  });

  it("copies every file before task.succeeded goes out, and its links serve the bytes upstream served", async () => {
    const { task, webhooks } = await archivedTask();
    const report = await tick(manualClock(), ARCHIVING);
    const [webhook, ...more] = await webhooks();
    expect(more).toHaveLength(0);
    expect(webhook!.type).toBe("task.succeeded");
    const [output] = webhook!.outputs;
    expect(output!.url).toMatch(/\/media\/.*\/video-0\.mp4$/);
    expect(output!.archived_url).toMatch(/^http:\/\/relay\.test\/files\/default\/cometapi\/.+\/0-url\?expires=\d+&signature=/);
    expect(output!.archived_watermark_url).toMatch(/\/0-watermark_url\?expires=/);
    expect(output).not.toHaveProperty("archive_error");
    const video = await follow(output!.archived_url);
    expect(video).toEqual({ type: "video/mp4", sha256: await upstreamSha256(task.id, "video-0.mp4") });
    expect((await follow(output!.archived_watermark_url)).sha256).toBe(await upstreamSha256(task.id, "watermark-0.mp4"));
    expect(await files(task.id)).toMatchObject([
      { field: "url", status: "copied", size_bytes: 256 * 1024, content_type: "video/mp4", attempts: 0 },
      { field: "watermark_url", status: "copied", size_bytes: 256 * 1024 },
    ]);
    expect(report.archivedFiles).toBe(2);
    expect(report.archivedBytes).toBe(512 * 1024);
  });

  it("changes nothing for a registration that does not ask (ARCHIVE_DEFAULT false)", async () => {
    const { task, webhooks } = await archivedTask({});
    await tick(manualClock(), ARCHIVING);
    const [webhook] = await webhooks();
    expect(webhook!.outputs[0]).not.toHaveProperty("archived_url");
    expect(await files(task.id)).toEqual([]);
    expect((await mediaStats()).requests).toBe(0);
  });

  it("archives by default with ARCHIVE_DEFAULT=true, and archive: false opts out", async () => {
    const byDefault = await archivedTask({}, { ...ARCHIVING, ARCHIVE_DEFAULT: "true" });
    const optedOut = await archivedTask({ archive: false }, { ...ARCHIVING, ARCHIVE_DEFAULT: "true" });
    await tick(manualClock(), { ...ARCHIVING, ARCHIVE_DEFAULT: "true" });
    expect((await byDefault.webhooks())[0]!.outputs[0]).toHaveProperty("archived_url");
    expect((await optedOut.webhooks())[0]!.outputs[0]).not.toHaveProperty("archived_url");
  });

  it("refuses archive: true with 400 naming what the relay lacks, registering nothing", async () => {
    const task = await videoTask();
    const hook = await receiver();
    for (const [overrides, missing] of [
      [{ PUBLIC_BASE_URL: "" }, "PUBLIC_BASE_URL"],
      [{ ...ARCHIVING, ARCHIVE: undefined }, "the ARCHIVE R2 bucket binding"],
      [{ ...ARCHIVING, ARCHIVE_LINK_SECRET: "" }, "ARCHIVE_LINK_SECRET"],
    ] as const) {
      const res = await register({ task_id: task.id, callback_url: hook.url, archive: true }, overrides as Partial<Env>);
      expect(res.status).toBe(400);
      const body = (await res.json()) as { error: { code: string; message: string; details: { field: string }[] } };
      expect(body.error.code).toBe("invalid_request");
      expect(body.error.message).toContain(missing);
      expect(body.error.details[0]!.field).toBe("archive");
      expect(JSON.stringify(body)).not.toContain("archive-link-test-secret");
    }
    expect(await env.DB.prepare("SELECT count(*) AS n FROM tasks").first("n")).toBe(0);
  });

  it("gives up a file over ARCHIVE_MAX_BYTES at once: the webhook goes out with archive_error for it", async () => {
    await media({ perFile: {}, sizeBytes: 300_000 });
    const overrides = { ...ARCHIVING, ARCHIVE_MAX_BYTES: "299999" };
    const { task, webhooks } = await archivedTask({ archive: true }, overrides);
    await tick(manualClock(), overrides);
    const [webhook] = await webhooks();
    expect(webhook!.outputs[0]!.archive_error).toMatch(/300000 bytes, over ARCHIVE_MAX_BYTES \(299999\)/);
    expect(webhook!.outputs[0]).not.toHaveProperty("archived_url");
    expect(await files(task.id)).toMatchObject([
      { field: "url", status: "failed", attempts: 1 },
      { field: "watermark_url", status: "failed", attempts: 1 },
    ]);
    expect(await env.ARCHIVE!.list({ prefix: `default/cometapi/${task.id}/` })).toMatchObject({ objects: [] });
  });

  it("retries a failing copy with backoff, holding the webhook, and sends it once the copy succeeds", async () => {
    const task = await videoTask();
    await media({ perFile: { [`${task.id}/video-0.mp4`]: { failTimes: 2 } } });
    const hook = await receiver();
    expect((await register({ task_id: task.id, callback_url: hook.url, archive: true })).status).toBe(201);
    const clock = manualClock();
    await tick(clock, ARCHIVING);
    expect(await hook.deliveries()).toHaveLength(0);
    expect(await files(task.id)).toMatchObject([
      { field: "url", status: "pending", attempts: 1, last_error: "upstream answered 503" },
      { field: "watermark_url", status: "copied" },
    ]);
    // Not due again before its backoff (15 s).
    clock.advance(10_000);
    await tick(clock, ARCHIVING);
    expect((await files(task.id))[0]).toMatchObject({ attempts: 1 });
    clock.advance(5_000);
    await tick(clock, ARCHIVING);
    expect((await files(task.id))[0]).toMatchObject({ status: "pending", attempts: 2 });
    expect(await hook.deliveries()).toHaveLength(0);
    clock.advance(60_000);
    await tick(clock, ARCHIVING);
    const deliveries = await hook.deliveries();
    expect(deliveries).toHaveLength(1);
    const output = (JSON.parse(deliveries[0]!.body) as { outputs: Record<string, any>[] }).outputs[0]!;
    expect((await follow(output.archived_url)).sha256).toBe(await upstreamSha256(task.id, "video-0.mp4"));
  });

  it("redelivers a task.succeeded with links signed anew (the first ones may have expired)", async () => {
    const { task, webhooks } = await archivedTask();
    // The first links are signed for one minute only.
    await tick(manualClock(), { ...ARCHIVING, ARCHIVE_LINK_TTL_SECONDS: "60" });
    const [first] = await webhooks();
    const subscription = await env.DB.prepare("SELECT s.id FROM subscriptions s JOIN tasks t ON t.id = s.task_key WHERE t.task_id = ?")
      .bind(task.id)
      .first<{ id: string }>();
    const res = await relayRequest(
      `/v1/subscriptions/${subscription!.id}/redeliver`,
      { method: "POST", headers: { authorization: "Bearer relay-test-key-one-0123456789" } },
      ARCHIVING,
    );
    expect(res.status).toBe(202);
    await tick(manualClock(), ARCHIVING);
    const [, again] = await webhooks();
    const expiresOf = (link: string) => Number(new URL(link).searchParams.get("expires"));
    const [old, fresh] = [first!.outputs[0]!, again!.outputs[0]!];
    expect(expiresOf(fresh.archived_url) - expiresOf(old.archived_url)).toBeGreaterThanOrEqual(7 * 86_400 - 65);
    expect(expiresOf(fresh.archived_watermark_url)).toBe(expiresOf(fresh.archived_url));
    expect((await follow(fresh.archived_url)).sha256).toBe(await upstreamSha256(task.id, "video-0.mp4"));
    // Everything else in the body is what the first cycle sent.
    const strip = (w: Record<string, any>) => JSON.stringify({ ...w, outputs: w.outputs.map(({ url, type }: any) => ({ url, type })) });
    expect(strip(again!)).toBe(strip(first!));
  });

  it("shows a task's archive on its dashboard page, with a link to each copy signed for the page", async () => {
    const { task } = await archivedTask();
    await tick(manualClock(), ARCHIVING);
    const browser = await logIn();
    const res = await relayRequest(
      `/dashboard/tasks/${task.id}`,
      { headers: { cookie: browser.cookie, accept: "text/html", "sec-fetch-site": "same-origin" } },
      ARCHIVING,
    );
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('id="task-archive"');
    expect(html).toMatch(/data-archive-file="0-url"[\s\S]*?copied/);
    const links = [...html.matchAll(/href="(http:\/\/relay\.test\/files\/[^"]+)"/g)].map((m) => m[1]!.replaceAll("&amp;", "&"));
    expect(links).toHaveLength(2);
    expect((await follow(links[0]!)).sha256).toBe(await upstreamSha256(task.id, "video-0.mp4"));
  });

  it("keeps a held webhook held when its subscription is redelivered meanwhile", async () => {
    const task = await videoTask();
    await media({ perFile: { [`${task.id}/video-0.mp4`]: { failTimes: 1 } } });
    const hook = await receiver();
    const res = await register({ task_id: task.id, callback_url: hook.url, archive: true });
    const { id } = (await res.json()) as { id: string };
    const clock = manualClock();
    await tick(clock, ARCHIVING);
    const redeliver = await relayRequest(
      `/v1/subscriptions/${id}/redeliver`,
      { method: "POST", headers: { authorization: "Bearer relay-test-key-one-0123456789" } },
      ARCHIVING,
    );
    expect(redeliver.status).toBe(202);
    await tick(clock, ARCHIVING);
    expect(await hook.deliveries()).toHaveLength(0);
    clock.advance(15_000);
    await tick(clock, ARCHIVING);
    const deliveries = await hook.deliveries();
    expect(deliveries).toHaveLength(1);
    expect(JSON.parse(deliveries[0]!.body).outputs[0]).toHaveProperty("archived_url");
  });

  it("after ARCHIVE_MAX_ATTEMPTS failures sends the webhook anyway, that file with archive_error", async () => {
    const task = await videoTask();
    await media({ perFile: { [`${task.id}/watermark-0.mp4`]: { status: 404 } } });
    const hook = await receiver();
    const overrides = { ...ARCHIVING, ARCHIVE_MAX_ATTEMPTS: "2" };
    expect((await register({ task_id: task.id, callback_url: hook.url, archive: true }, overrides)).status).toBe(201);
    const clock = manualClock();
    await tick(clock, overrides);
    expect(await hook.deliveries()).toHaveLength(0);
    clock.advance(15_000);
    await tick(clock, overrides);
    const deliveries = await hook.deliveries();
    expect(deliveries).toHaveLength(1);
    const output = (JSON.parse(deliveries[0]!.body) as { outputs: Record<string, any>[] }).outputs[0]!;
    expect(output.archived_url).toMatch(/\/0-url\?/);
    expect(output.archive_error).toBe("watermark_url: upstream answered 404 (after 2 attempts)");
    expect(output).not.toHaveProperty("archived_watermark_url");
  });

  it("never fetches a file behind the address wall (a loopback URL without ALLOW_INSECURE_CALLBACKS)", async () => {
    // The registration's callback is on loopback too: it is refused at delivery, which is not what this test looks at.
    const { task } = await archivedTask();
    const walled = { ...ARCHIVING, ALLOW_INSECURE_CALLBACKS: "false" };
    await tick(manualClock(), walled);
    expect(await files(task.id)).toMatchObject([
      { field: "url", status: "failed", attempts: 1, last_error: "the file's URL must use https" },
      { field: "watermark_url", status: "failed" },
    ]);
    expect((await mediaStats()).requests).toBe(0);
  });

  it("copies a file larger than a tick's allowance part by part over several ticks, resuming with ranges", async () => {
    const task = await videoTask();
    await media({ perFile: { [`${task.id}/video-0.mp4`]: { sizeBytes: 20 * MiB } } });
    const hook = await receiver();
    const overrides = { ...ARCHIVING, ARCHIVE_BYTES_PER_TICK: String(8 * MiB) };
    expect((await register({ task_id: task.id, callback_url: hook.url, archive: true }, overrides)).status).toBe(201);
    const clock = manualClock();
    const copied: number[] = [];
    for (let i = 0; i < 6 && (await hook.deliveries()).length === 0; i++) {
      const report = await tick(clock, overrides);
      copied.push(report.archivedBytes ?? 0);
      clock.advance(1_000);
    }
    // 8 MiB at most per tick: three ticks for 20 MiB (8 + 8 + 4), the small watermark beside them.
    expect(Math.max(...copied)).toBeLessThanOrEqual(8 * MiB);
    expect(copied.reduce((a, b) => a + b, 0)).toBe(20 * MiB + 256 * 1024);
    expect(copied.length).toBeGreaterThanOrEqual(3);
    const [delivery] = await hook.deliveries();
    const output = (JSON.parse(delivery!.body) as { outputs: Record<string, any>[] }).outputs[0]!;
    expect(await follow(output.archived_url)).toEqual({ type: "video/mp4", sha256: await upstreamSha256(task.id, "video-0.mp4") });
    expect((await files(task.id))[0]).toMatchObject({ status: "copied", size_bytes: 20 * MiB, attempts: 0 });
  });

  it("stops copying for the tick once a part no longer fits its allowance, rather than claim the file again every round", async () => {
    const task = await videoTask();
    await media({ perFile: { [`${task.id}/video-0.mp4`]: { sizeBytes: 20 * MiB } } });
    const hook = await receiver();
    // One 8 MiB part of the video and the watermark (256 KiB) fit; what is left (768 KiB) is less than a part.
    const overrides = { ...ARCHIVING, ARCHIVE_BYTES_PER_TICK: String(9 * MiB) };
    expect((await register({ task_id: task.id, callback_url: hook.url, archive: true }, overrides)).status).toBe(201);
    const report = await tick(lingeringClock(), overrides);
    expect(report.archivedBytes).toBe(8 * MiB + 256 * 1024);
    // Its poll, the two files, and at most one step of the video that found no room: not a claim
    // and a step every round until the budget is gone.
    expect(report.subrequestsLeft).toBeGreaterThanOrEqual(45 - 4);
    expect(report.rounds).toBeLessThan(5);
  });

  it("in queue mode, the tick lists and sends the copies (one file per message) and consumers copy them", async () => {
    const { task, webhooks } = await archivedTask();
    const sent: WorkMessage[] = [];
    const queue = {
      async sendBatch(messages: Iterable<MessageSendRequest<WorkMessage>>) {
        sent.push(...[...messages].map((m) => m.body));
      },
    } as unknown as Queue<WorkMessage>;
    const clock = manualClock();
    const report = await tick(clock, { ...ARCHIVING, DELIVERY_QUEUE: queue });
    expect(report.archivedFiles ?? 0).toBe(0);
    expect(report.queued).toMatchObject({ archives: 2 });
    const archiveMessages = sent.filter((m) => m.kind === "archive");
    expect(archiveMessages.map((m) => m.ids.length)).toEqual([1, 1]);
    expect(await webhooks()).toHaveLength(0);
    const batch = createMessageBatch(
      "kling-webhook-relay-deliveries",
      archiveMessages.map((body, i) => ({ id: `m${i}`, timestamp: new Date(), attempts: 1, body })),
    );
    const consumed = await consumeBatch(batch, { ...env, ...ARCHIVING } as Env, clock);
    expect(consumed).toMatchObject({ archivedFiles: 2, archivedBytes: 512 * 1024, skipped: 0 });
    expect(await files(task.id)).toMatchObject([{ status: "copied" }, { status: "copied" }]);
    // The held webhook is due now: the next tick sends it (here without the queue).
    await tick(clock, ARCHIVING);
    const [webhook] = await webhooks();
    expect((await follow(webhook!.outputs[0]!.archived_url)).sha256).toBe(await upstreamSha256(task.id, "video-0.mp4"));
  });

  it("under the real clock, copies in slices of POLL_MIN_INTERVAL_SECONDS (and a part): a task due for polls is polled while a large file copies", async () => {
    const slow = await videoTask();
    // 80 MB at 8 MB/s (a part a second): more than the tick can copy.
    await media({ perFile: { [`${slow.id}/video-0.mp4`]: { sizeBytes: 80 * MiB, bytesPerSecond: 8_000_000 } } });
    const hook = await receiver();
    expect((await register({ task_id: slow.id, callback_url: hook.url, archive: true })).status).toBe(201);
    const running = await upstreamTask([{ status: "processing" }]);
    expect((await register({ task_id: running.id, callback_url: hook.url })).status).toBe(201);
    const overrides = { ...ARCHIVING, TICK_WALL_BUDGET_SECONDS: "6", POLL_MIN_INTERVAL_SECONDS: "1", POLL_MAX_INTERVAL_SECONDS: "1" };
    const started = Date.now();
    const report = await tick(systemClock, overrides);
    expect(Date.now() - started).toBeLessThan(12_000);
    // Polled about once a second: a copy step holding the round to the deadline would leave it at 1.
    expect(await running.polls()).toBeGreaterThanOrEqual(3);
    expect(report.archivedBytes).toBeGreaterThan(0);
    expect(await hook.deliveries()).toHaveLength(0);
  }, 30_000);

  it("under the real clock, a tick with a 500 MB output still ends on time, the copy going on later", async () => {
    const task = await videoTask();
    // Served at 40 MB/s: more than one short tick can copy.
    await media({ perFile: { [`${task.id}/video-0.mp4`]: { sizeBytes: 500_000_000, bytesPerSecond: 40_000_000 } } });
    const hook = await receiver();
    expect((await register({ task_id: task.id, callback_url: hook.url, archive: true })).status).toBe(201);
    const overrides = { ...ARCHIVING, TICK_WALL_BUDGET_SECONDS: "3" };
    const started = Date.now();
    const report = await tick(systemClock, overrides);
    const took = Date.now() - started;
    // The budget (3 s) and the D1 writes after it; far less than the file would take.
    expect(took).toBeLessThan(8_000);
    expect(report.endReason).not.toBeNull();
    expect(await hook.deliveries()).toHaveLength(0);
    const [video] = await files(task.id);
    expect(video).toMatchObject({ status: "pending", attempts: 0 });
    expect(video!.copied_bytes).toBeGreaterThan(0);
    expect(video!.copied_bytes % (8 * MiB)).toBe(0);
  }, 30_000);
});
