/**
 * Retention of archived files: on their own after ARCHIVE_RETENTION_DAYS (objects deleted, rows
 * kept as `deleted`); a task stays while a file of it is `copied`, and goes after RETENTION_DAYS
 * with what is left (failed copies' objects, then rows), against the test pool's R2 bucket and D1.
 */
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import type { Env } from "../src/env";
import { ARCHIVING, videoTask } from "./support/archive";
import { type Recorded, recordingD1 } from "./support/recording-d1";
import { API_KEY, manualClock, receiver, register, relayRequest, resetDb, tick, unique } from "./support/relay";

const DAY = 86_400_000;
/** Files kept 30 days; tasks a year (so only the files' own retention acts). */
const FILES_ONLY: Partial<Env> = { ...ARCHIVING, ARCHIVE_RETENTION_DAYS: "30", RETENTION_DAYS: "365" };
const bucket = () => env.ARCHIVE!;

/** A video task registered with `archive: true`, copied and its webhook sent by one tick at `clock` (or now, if later). */
async function archivedTask(clock: ReturnType<typeof manualClock>, overrides: Partial<Env> = ARCHIVING) {
  const task = await videoTask();
  const res = await relayRequest(
    "/v1/tasks",
    {
      method: "POST",
      headers: { "content-type": "application/json", authorization: "Bearer relay-test-key-one-0123456789" },
      body: JSON.stringify({
        action: "videos",
        action2: "text2video",
        task_id: task.id,
        callback_url: (await receiver()).url,
        archive: true,
      }),
    },
    overrides,
  );
  expect(res.status).toBe(201);
  // Registered now: due at once for a clock that is not behind.
  clock.set(Math.max(clock.now(), Date.now()));
  const report = await tick(clock, overrides);
  expect(await files(task.id)).toMatchObject([{ status: "copied" }, { status: "copied" }]);
  expect(report.archivedFiles).toBe(2);
  return task;
}

interface FileRow {
  id: string;
  field: string;
  status: string;
  r2_key: string;
  copied_at: number | null;
}

const files = (taskId: string) =>
  env.DB.prepare(
    "SELECT a.id, a.field, a.status, a.r2_key, a.copied_at FROM archive_files a JOIN tasks t ON t.id = a.task_key WHERE t.task_id = ? ORDER BY a.output_index, a.field",
  )
    .bind(taskId)
    .all<FileRow>()
    .then((r) => r.results);

const countFiles = async () => (await env.DB.prepare("SELECT count(*) AS n FROM archive_files").first<number>("n"))!;

/** The keys under `default/cometapi/{taskId}/` in the bucket. */
const objects = async (taskId: string) => (await bucket().list({ prefix: `default/cometapi/${taskId}/` })).objects.map((o) => o.key).sort();

const putObject = (key: string) => bucket().put(key, "archived bytes");

/** The webhooks a receiver got, parsed. */
const webhooksOf = async (hook: Awaited<ReturnType<typeof receiver>>) =>
  (await hook.deliveries()).map((d) => JSON.parse(d.body) as { type: string; outputs: Record<string, unknown>[] });

/**
 * The test pool's bucket, whose `delete` records the keys it was given and first runs `before` once
 * (another request landing meanwhile), or fails with `failWith`.
 */
function bucketWith(options: { before?: () => Promise<void>; failWith?: Error }) {
  let fired = false;
  const deletes: string[][] = [];
  const ARCHIVE = new Proxy(bucket(), {
    get(target, prop) {
      if (prop === "delete")
        return async (keys: string | string[]) => {
          deletes.push(Array.isArray(keys) ? keys : [keys]);
          if (options.failWith) throw options.failWith;
          if (options.before && !fired) {
            fired = true;
            await options.before();
          }
          return target.delete(keys);
        };
      const value = Reflect.get(target, prop);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return { ARCHIVE, deletes };
}

/** A task settled at `settledAt`, polled no more, inserted as it would be at the end of its life. */
async function settledTask(settledAt: number) {
  const id = `tsk_${unique("r")}`;
  const taskId = unique("old");
  await env.DB.prepare(
    `INSERT INTO tasks (id, tenant_id, provider, task_id, action, action2, last_event, last_event_at, settled_at, archive, created_at, updated_at)
     VALUES (?, 'default', 'cometapi', ?, 'videos', 'text2video', 'task.succeeded', ?, ?, 'done', ?, ?)`,
  )
    .bind(id, taskId, settledAt, settledAt, settledAt, settledAt)
    .run();
  return { key: id, taskId };
}

/** `count` archive rows of a task, of `status`, copied at `copiedAt + i` (their keys under the task's prefix). */
async function fileRows(taskKey: string, taskId: string, count: number, status: string, copiedAt: number | null) {
  const rows = Array.from({ length: count }, (_, i) => ({
    id: `arc_${unique("f")}`,
    index: i,
    key: `default/cometapi/${taskId}/${i}-url`,
    copied_at: copiedAt === null ? null : copiedAt + i,
  }));
  await env.DB.prepare(
    `INSERT INTO archive_files (id, task_key, output_index, field, source_url, r2_key, status, copied_at, created_at, updated_at)
     SELECT f.value ->> 'id', ?, f.value ->> 'index', 'url', 'https://cdn.example/file', f.value ->> 'key', ?, f.value ->> 'copied_at', 0, 0
     FROM json_each(?) f`,
  )
    .bind(taskKey, status, JSON.stringify(rows))
    .run();
  return rows;
}

describe("archived files deleted on their own (ARCHIVE_RETENTION_DAYS)", () => {
  beforeEach(resetDb);

  it("deletes files copied longer ago than ARCHIVE_RETENTION_DAYS from R2 and marks them deleted; younger files stay", async () => {
    const clock = manualClock();
    const old = await archivedTask(clock, FILES_ONLY);
    clock.advance(20 * DAY);
    const young = await archivedTask(clock, FILES_ONLY);
    expect(await objects(old.id)).toHaveLength(2);

    // 29 days on: nothing is due yet.
    clock.advance(9 * DAY);
    expect((await tick(clock, FILES_ONLY)).archiveDeleted).toBe(0);
    expect(await objects(old.id)).toHaveLength(2);

    clock.advance(2 * DAY);
    const report = await tick(clock, FILES_ONLY);
    expect(report.archiveDeleted).toBe(2);
    expect(report.archivePurged).toBe(0);
    expect(report.purged).toBe(0);
    expect(await objects(old.id)).toEqual([]);
    expect(await files(old.id)).toMatchObject([
      { field: "url", status: "deleted" },
      { field: "watermark_url", status: "deleted" },
    ]);
    // The row keeps when it was copied.
    expect((await files(old.id))[0]!.copied_at).not.toBeNull();
    expect(await objects(young.id)).toHaveLength(2);
    expect(await files(young.id)).toMatchObject([{ status: "copied" }, { status: "copied" }]);

    // The young task's files go in their turn.
    clock.advance(20 * DAY);
    expect((await tick(clock, FILES_ONLY)).archiveDeleted).toBe(2);
    expect(await objects(young.id)).toEqual([]);
  });

  it("then tells later subscribers the files were deleted by retention, not a link to nothing", async () => {
    const clock = manualClock();
    const task = await archivedTask(clock, FILES_ONLY);
    clock.advance(31 * DAY);
    await tick(clock, FILES_ONLY);
    expect(await env.DB.prepare("SELECT archive FROM tasks WHERE task_id = ?").bind(task.id).first("archive")).toBe("copying");

    const late = await receiver();
    expect((await register({ task_id: task.id, callback_url: late.url })).status).toBe(201);
    await tick(clock, FILES_ONLY);
    const [webhook, ...more] = await webhooksOf(late);
    expect(more).toEqual([]);
    expect(webhook!.type).toBe("task.succeeded");
    expect(webhook!.outputs[0]).not.toHaveProperty("archived_url");
    expect(webhook!.outputs[0]).not.toHaveProperty("archived_watermark_url");
    expect(webhook!.outputs[0]!.archive_error).toBe("deleted by retention");
    expect(await env.DB.prepare("SELECT archive FROM tasks WHERE task_id = ?").bind(task.id).first("archive")).toBe("done");
  });

  it("holds back a webhook not yet sent whose links the deletion just broke, and sends it without them", async () => {
    const clock = manualClock();
    const task = await archivedTask(clock, FILES_ONLY);
    clock.advance(31 * DAY);
    // A subscriber registers while R2 deletes the files: its webhook was made with the links.
    const late = await receiver();
    const { ARCHIVE } = bucketWith({
      before: async () => {
        expect((await register({ task_id: task.id, callback_url: late.url })).status).toBe(201);
      },
    });
    expect((await tick(clock, { ...FILES_ONLY, ARCHIVE })).archiveDeleted).toBe(2);
    expect(await late.deliveries()).toEqual([]);
    const held = await env.DB.prepare(
      "SELECT m.next_attempt_at AS due, m.archive FROM messages m JOIN subscriptions s ON s.id = m.subscription_id WHERE s.callback_url = ?",
    )
      .bind(late.url)
      .first<{ due: number | null; archive: string }>();
    expect(held).toMatchObject({ due: null });
    expect(held!.archive).toContain("/files/");

    await tick(clock, FILES_ONLY);
    const [webhook] = await webhooksOf(late);
    expect(webhook!.outputs[0]!.archive_error).toBe("deleted by retention");
    expect(webhook!.outputs[0]).not.toHaveProperty("archived_url");
  });

  it("deletes at most 1000 files a tick (one R2 call), oldest first, the rest in the next", async () => {
    const now = Date.now();
    const task = await settledTask(now);
    const rows = await fileRows(task.key, task.taskId, 1001, "copied", now - 40 * DAY);
    await putObject(rows[0]!.key);
    await putObject(rows[1000]!.key);
    const { ARCHIVE, deletes } = bucketWith({});
    const report = await tick(manualClock(now), { ...FILES_ONLY, ARCHIVE });
    expect(report.archiveDeleted).toBe(1000);
    expect(deletes.map((keys) => keys.length)).toEqual([1000]);
    expect(await bucket().head(rows[0]!.key)).toBeNull();
    expect(await bucket().head(rows[1000]!.key)).not.toBeNull();
    const left = await env.DB.prepare("SELECT id FROM archive_files WHERE status = 'copied'").all<{ id: string }>();
    expect(left.results).toEqual([{ id: rows[1000]!.id }]);

    expect((await tick(manualClock(now), FILES_ONLY)).archiveDeleted).toBe(1);
    expect(await bucket().head(rows[1000]!.key)).toBeNull();
    expect(await env.DB.prepare("SELECT count(*) AS n FROM archive_files WHERE status = 'deleted'").first("n")).toBe(1001);
  });

  it("leaves the rows copied when R2 fails, and deletes them at the next tick", async () => {
    const clock = manualClock();
    const task = await archivedTask(clock, FILES_ONLY);
    clock.advance(31 * DAY);
    const { ARCHIVE } = bucketWith({ failWith: new Error("R2 is down") });
    const report = await tick(clock, { ...FILES_ONLY, ARCHIVE });
    expect(report.archiveDeleted).toBe(0);
    expect(report.archiveRetentionError).toBe("R2 is down");
    expect(await files(task.id)).toMatchObject([{ status: "copied" }, { status: "copied" }]);
    expect(await objects(task.id)).toHaveLength(2);

    expect((await tick(clock, FILES_ONLY)).archiveDeleted).toBe(2);
    expect(await objects(task.id)).toEqual([]);
  });

  it("finds every row it touches through an index: due files through the partial index, a task's files by its key", async () => {
    const now = Date.now();
    const purged = await settledTask(now - 8 * DAY);
    await fileRows(purged.key, purged.taskId, 1, "failed", null);
    const kept = await settledTask(now);
    await fileRows(kept.key, kept.taskId, 1, "copied", now - 40 * DAY);
    const log: Recorded[] = [];
    const report = await tick(manualClock(now), { ...FILES_ONLY, RETENTION_DAYS: "7", DB: recordingD1(env.DB, log) });
    expect(report).toMatchObject({ purged: 1, archivePurged: 1, archiveDeleted: 1 });
    const RETENTION =
      /tasks\.settled_at <|copied_at <|status = 'failed'|DELETE FROM archive_files|SET status = 'deleted'|SET archive = 'copying'|SET next_attempt_at = NULL/;
    const statements = new Map(log.filter((s) => RETENTION.test(s.sql)).map((s) => [s.sql, s]));
    expect(statements.size).toBe(7);
    const details: string[] = [];
    for (const { sql, params } of statements.values()) {
      const plan = await env.DB.prepare(`EXPLAIN QUERY PLAN ${sql}`)
        .bind(...params)
        .all<{ detail: string }>();
      details.push(...plan.results.map((r) => r.detail));
    }
    // A SCAN of a json_each (VIRTUAL TABLE) is an id list, of `c` the candidates read (at most RETENTION_BATCH); any other reads a table.
    expect(details.filter((d) => /^SCAN /.test(d) && !/VIRTUAL TABLE|^SCAN c$/.test(d))).toEqual([]);
    expect(details).toContainEqual(expect.stringMatching(/SEARCH archive_files USING INDEX archive_files_copied \(copied_at<\?\)/));
    expect(details).toContainEqual(expect.stringMatching(/SEARCH a USING (COVERING )?INDEX archive_files_task_output \(task_key=\?\)/));
  });
});

describe("archived files and their task (RETENTION_DAYS)", () => {
  beforeEach(resetDb);

  /** The archived links `GET /v1/tasks/{task_id}/outputs` answers for a task's first output. */
  const outputLinks = async (taskId: string) => {
    const res = await relayRequest(`/v1/tasks/${taskId}/outputs`, { headers: { authorization: `Bearer ${API_KEY}` } }, ARCHIVING);
    expect(res.status).toBe(200);
    const [output] = ((await res.json()) as { outputs: Record<string, unknown>[] }).outputs;
    return { url: output!.archived_url, watermark: output!.archived_watermark_url, error: output!.archive_error };
  };

  it("keeps a task with a copied file past RETENTION_DAYS until ARCHIVE_RETENTION_DAYS deleted the file, then purges it at a later tick", async () => {
    const clock = manualClock();
    const archive = { ...ARCHIVING, ARCHIVE_RETENTION_DAYS: "30" };
    const task = await archivedTask(clock, archive);

    // Past RETENTION_DAYS (7): the task stays, its files copied, their links still given.
    clock.advance(8 * DAY);
    expect(await tick(clock, archive)).toMatchObject({ purged: 0, archivePurged: 0, archiveDeleted: 0 });
    expect(await objects(task.id)).toHaveLength(2);
    expect(await files(task.id)).toMatchObject([{ status: "copied" }, { status: "copied" }]);
    const links = await outputLinks(task.id);
    expect(links.url).toMatch(/\/0-url\?expires=/);
    expect(links.watermark).toMatch(/\/0-watermark_url\?expires=/);

    // Past ARCHIVE_RETENTION_DAYS: the files go on their own; the task still stays this tick.
    clock.advance(23 * DAY);
    expect(await tick(clock, archive)).toMatchObject({ purged: 0, archivePurged: 0, archiveDeleted: 2 });
    expect(await objects(task.id)).toEqual([]);
    expect(await files(task.id)).toMatchObject([{ status: "deleted" }, { status: "deleted" }]);
    expect(await outputLinks(task.id)).toEqual({ url: undefined, watermark: undefined, error: "deleted by retention" });

    // The next tick purges the task with the rows its files left.
    expect(await tick(clock, archive)).toMatchObject({ purged: 1, archivePurged: 2, archiveDeleted: 0 });
    expect(await countFiles()).toBe(0);
    expect(await env.DB.prepare("SELECT count(*) AS n FROM tasks").first("n")).toBe(0);
  });

  it("purges a task whose files ARCHIVE_RETENTION_DAYS deleted sooner at RETENTION_DAYS, not before", async () => {
    const clock = manualClock();
    const archive = { ...ARCHIVING, ARCHIVE_RETENTION_DAYS: "3" };
    const task = await archivedTask(clock, archive);
    clock.advance(4 * DAY);
    expect(await tick(clock, archive)).toMatchObject({ purged: 0, archiveDeleted: 2 });
    expect(await objects(task.id)).toEqual([]);
    clock.advance(2 * DAY);
    expect(await tick(clock, archive)).toMatchObject({ purged: 0, archivePurged: 0 });
    clock.advance(2 * DAY);
    expect(await tick(clock, archive)).toMatchObject({ purged: 1, archivePurged: 2, archiveDeleted: 0 });
    expect(await countFiles()).toBe(0);
  });

  it("deletes a purged task's objects from R2 (left by failed copies), then its rows", async () => {
    const clock = manualClock();
    const task = await settledTask(clock.now());
    const failed = await fileRows(task.key, task.taskId, 2, "failed", null);
    for (const row of failed) await putObject(row.key);
    clock.advance(6 * DAY);
    expect((await tick(clock, ARCHIVING)).purged).toBe(0);
    expect(await objects(task.taskId)).toHaveLength(2);

    clock.advance(2 * DAY);
    const report = await tick(clock, ARCHIVING);
    expect(report.purged).toBe(1);
    expect(report.archivePurged).toBe(2);
    expect(report.archiveDeleted).toBe(0);
    expect(await objects(task.taskId)).toEqual([]);
    expect(await countFiles()).toBe(0);
    expect(await env.DB.prepare("SELECT count(*) AS n FROM tasks").first("n")).toBe(0);
  });

  it("deletes the object a failed copy left, and the rows of files already deleted by retention", async () => {
    const now = Date.now();
    const task = await settledTask(now - 8 * DAY);
    const [failed] = await fileRows(task.key, task.taskId, 1, "failed", null);
    await env.DB.prepare(
      "INSERT INTO archive_files (id, task_key, output_index, field, source_url, r2_key, status, copied_at, created_at, updated_at) VALUES (?, ?, 0, 'watermark_url', 'https://cdn.example/w', ?, 'deleted', 0, 0, 0)",
    )
      .bind(`arc_${unique("d")}`, task.key, `default/cometapi/${task.taskId}/0-watermark_url`)
      .run();
    await putObject(failed!.key);
    const report = await tick(manualClock(now), ARCHIVING);
    expect(report).toMatchObject({ purged: 1, archivePurged: 2 });
    expect(await bucket().head(failed!.key)).toBeNull();
    expect(await countFiles()).toBe(0);
  });

  it("keeps a task whose file is still being copied, and its other objects, until the copy ends", async () => {
    const now = Date.now();
    const task = await settledTask(now - 8 * DAY);
    const [failed] = await fileRows(task.key, task.taskId, 1, "failed", null);
    await env.DB.prepare(
      "INSERT INTO archive_files (id, task_key, output_index, field, source_url, r2_key, status, next_attempt_at, created_at, updated_at) VALUES (?, ?, 0, 'watermark_url', 'https://cdn.example/w', ?, 'pending', ?, 0, 0)",
    )
      .bind(`arc_${unique("p")}`, task.key, `default/cometapi/${task.taskId}/0-watermark_url`, now + DAY)
      .run();
    await putObject(failed!.key);
    expect((await tick(manualClock(now), ARCHIVING)).purged).toBe(0);
    expect(await bucket().head(failed!.key)).not.toBeNull();
    expect(await countFiles()).toBe(2);

    await env.DB.prepare("UPDATE archive_files SET status = 'failed', next_attempt_at = NULL WHERE status = 'pending'").run();
    expect((await tick(manualClock(now), ARCHIVING)).purged).toBe(1);
    expect(await bucket().head(failed!.key)).toBeNull();
    expect(await countFiles()).toBe(0);
  });

  it("keeps a task a registration landed on while its objects were deleted, its rows unchanged, and tells the new subscriber", async () => {
    const clock = manualClock();
    const task = await archivedTask(clock);
    // Its copies failed after all, leaving their objects.
    await env.DB.prepare(
      "UPDATE archive_files SET status = 'failed', copied_at = NULL WHERE task_key = (SELECT id FROM tasks WHERE task_id = ?)",
    )
      .bind(task.id)
      .run();
    clock.advance(8 * DAY);
    const late = await receiver();
    const { ARCHIVE, deletes } = bucketWith({
      before: async () => {
        expect((await register({ task_id: task.id, callback_url: late.url })).status).toBe(201);
      },
    });
    const report = await tick(clock, { ...ARCHIVING, ARCHIVE });
    expect(report).toMatchObject({ purged: 0, archivePurged: 0, archiveDeleted: 0 });
    expect(deletes.map((keys) => keys.length)).toEqual([2]);
    expect(await objects(task.id)).toEqual([]);
    expect(await files(task.id)).toMatchObject([{ status: "failed" }, { status: "failed" }]);

    await tick(clock, ARCHIVING);
    const [webhook, ...more] = await webhooksOf(late);
    expect(more).toEqual([]);
    expect(webhook!.type).toBe("task.succeeded");
  });

  it("keeps tasks whose objects R2 would not delete, their rows unchanged, and purges tasks without files", async () => {
    const now = Date.now();
    const withFiles = await settledTask(now - 8 * DAY);
    const [failed] = await fileRows(withFiles.key, withFiles.taskId, 1, "failed", null);
    await putObject(failed!.key);
    const plain = await settledTask(now - 8 * DAY);
    const report = await tick(manualClock(now), { ...ARCHIVING, ARCHIVE: bucketWith({ failWith: new Error("R2 is down") }).ARCHIVE });
    expect(report).toMatchObject({ purged: 1, archivePurged: 0, archiveDeleted: 0, archiveRetentionError: "R2 is down" });
    const left = await env.DB.prepare("SELECT id FROM tasks").all<{ id: string }>();
    expect(left.results).toEqual([{ id: withFiles.key }]);
    expect(plain.key).not.toBe(withFiles.key);
    expect(await files(withFiles.taskId)).toMatchObject([{ status: "failed" }]);
    expect(await bucket().head(failed!.key)).not.toBeNull();
  });

  it("deletes at most 1000 objects of purged tasks a tick, whole tasks only", async () => {
    const now = Date.now();
    const first = await settledTask(now - 9 * DAY);
    const second = await settledTask(now - 8 * DAY);
    await fileRows(first.key, first.taskId, 600, "failed", null);
    await fileRows(second.key, second.taskId, 600, "failed", null);
    const { ARCHIVE, deletes } = bucketWith({});
    const report = await tick(manualClock(now), { ...ARCHIVING, ARCHIVE });
    expect(report).toMatchObject({ purged: 1, archivePurged: 600 });
    expect(deletes.map((keys) => keys.length)).toEqual([600]);
    expect((await env.DB.prepare("SELECT id FROM tasks").all<{ id: string }>()).results).toEqual([{ id: second.key }]);
    expect(await tick(manualClock(now), ARCHIVING)).toMatchObject({ purged: 1, archivePurged: 600 });
    expect(await countFiles()).toBe(0);
  });
});

describe("without the ARCHIVE binding", () => {
  beforeEach(resetDb);

  it("touches no archived file, and keeps a task whose files may have objects until the bucket is back", async () => {
    const clock = manualClock();
    const task = await archivedTask(clock);
    clock.advance(100 * DAY);
    const unbound = { ...ARCHIVING, ARCHIVE: undefined };
    const report = await tick(clock, unbound);
    expect(report.purged).toBe(0);
    expect(report).not.toHaveProperty("archiveDeleted");
    expect(report).not.toHaveProperty("archivePurged");
    expect(await files(task.id)).toMatchObject([{ status: "copied" }, { status: "copied" }]);
    expect(await objects(task.id)).toHaveLength(2);

    // With the bucket back: the files, copied over ARCHIVE_RETENTION_DAYS (90) ago, go on their own, then their task.
    expect(await tick(clock, ARCHIVING)).toMatchObject({ purged: 0, archiveDeleted: 2 });
    expect(await objects(task.id)).toEqual([]);
    expect(await tick(clock, ARCHIVING)).toMatchObject({ purged: 1, archivePurged: 2 });
  });

  it("still purges a task whose files were all deleted by retention already", async () => {
    const now = Date.now();
    const task = await settledTask(now - 8 * DAY);
    await fileRows(task.key, task.taskId, 2, "deleted", now - 100 * DAY);
    expect((await tick(manualClock(now), { ARCHIVE: undefined })).purged).toBe(1);
    expect(await countFiles()).toBe(0);
  });
});
