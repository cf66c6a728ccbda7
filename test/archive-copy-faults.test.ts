/** One copy step (src/archive/copy-file.ts) against misbehaving file servers, on miniflare's R2. */
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { type CopyLimits, copyStep } from "../src/archive/copy-file";
import { ARCHIVE_PART_BYTES } from "../src/domain/archive-plan";
import { hexOf, media, upstreamSha256 } from "./support/archive";
import { unique } from "./support/relay";

const MiB = 1024 * 1024;
const bucket = env.ARCHIVE!;

const limits = (overrides: Partial<CopyLimits> = {}): CopyLimits => ({
  maxBytes: 2 ** 31,
  timeoutMs: 10_000,
  partBytes: ARCHIVE_PART_BYTES,
  allowInsecure: true,
  takeBytes: () => true,
  ...overrides,
});

/** A file of the simulator configured with `config`, and a fresh R2 key for it. */
async function file(config: Record<string, unknown>, name = "video-0.mp4") {
  const taskId = unique("t");
  await media({ perFile: { [`${taskId}/${name}`]: config } });
  return { taskId, name, key: `test/${taskId}/${name}`, url: `${env.FAKE_URL}/media/${taskId}/${name}` };
}

const job = (f: { key: string; url: string }) => ({ bucket, key: f.key, sourceUrl: f.url, copiedBytes: 0, resume: null });

async function storedSha256(key: string) {
  const object = await bucket.get(key);
  return object ? hexOf(await crypto.subtle.digest("SHA-256", await object.arrayBuffer())) : null;
}

/** A loopback endpoint answering `status` with a Location header (the simulator's webhook receivers answer any method). */
async function redirector(status: number, location: string) {
  const name = unique("redir");
  await fetch(`${env.FAKE_URL}/_sim/receivers/${name}`, {
    method: "PUT",
    body: JSON.stringify({ steps: [{ status, headers: { location } }] }),
  });
  return `${env.FAKE_URL}/hooks/${name}`;
}

describe("a copy step", () => {
  beforeEach(async () => {
    await fetch(`${env.FAKE_URL}/_sim/media`, { method: "DELETE" });
  });

  it("streams a file sent without a length (chunked) as a multipart upload, bytes equal", async () => {
    const f = await file({ sizeBytes: 10 * MiB, lieAboutLength: "omit" });
    const outcome = await copyStep(job(f), limits());
    expect(outcome).toMatchObject({ kind: "copied", size: 10 * MiB, contentType: "video/mp4" });
    expect(await storedSha256(f.key)).toBe(await upstreamSha256(f.taskId, f.name));
  });

  it("refuses a chunked file that grows past the size cap, for good", async () => {
    const f = await file({ sizeBytes: 20 * MiB, lieAboutLength: "omit" });
    const outcome = await copyStep(job(f), limits({ maxBytes: 12 * MiB }));
    expect(outcome).toMatchObject({ kind: "failed", permanent: true, resume: null, copiedBytes: 0 });
    expect(outcome.kind === "failed" && outcome.error).toMatch(/over ARCHIVE_MAX_BYTES/);
    expect(await bucket.head(f.key)).toBeNull();
  });

  it("under the real clock, a stalled transfer ends at the step's timeout, keeping the parts it finished", async () => {
    const f = await file({ sizeBytes: 30 * MiB, hangAfterBytes: 9 * MiB });
    const started = Date.now();
    const outcome = await copyStep(job(f), limits({ timeoutMs: 1_500 }));
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(outcome).toMatchObject({ kind: "progress", copiedBytes: ARCHIVE_PART_BYTES });
    // The next step resumes from there (the stall was one response's) and finishes.
    await media({ perFile: { [`${f.taskId}/${f.name}`]: { sizeBytes: 30 * MiB } } });
    const resumed = await copyStep(
      { ...job(f), copiedBytes: ARCHIVE_PART_BYTES, resume: outcome.kind === "progress" ? outcome.resume : null },
      limits(),
    );
    expect(resumed).toMatchObject({ kind: "copied", size: 30 * MiB, bytes: 30 * MiB - ARCHIVE_PART_BYTES });
    expect(await storedSha256(f.key)).toBe(await upstreamSha256(f.taskId, f.name));
  }, 20_000);

  it("under the real clock, a stall before the first part is a failed attempt at the timeout", async () => {
    const f = await file({ sizeBytes: 1 * MiB, hangAfterBytes: 1000 });
    const started = Date.now();
    const outcome = await copyStep(job(f), limits({ timeoutMs: 1_000 }));
    expect(Date.now() - started).toBeLessThan(4_000);
    expect(outcome).toMatchObject({ kind: "failed", permanent: false, error: "timed out" });
  }, 20_000);

  it("starts over when the file changed between steps (If-Range no longer matches)", async () => {
    const f = await file({ sizeBytes: 20 * MiB });
    let left = ARCHIVE_PART_BYTES;
    const takeOnePart = (n: number) => {
      if (n > left) return false;
      left -= n;
      return true;
    };
    const first = await copyStep(job(f), limits({ takeBytes: takeOnePart }));
    expect(first).toMatchObject({ kind: "progress", copiedBytes: ARCHIVE_PART_BYTES });
    // A new size makes a new ETag: the range request gets the whole file back.
    await media({ perFile: { [`${f.taskId}/${f.name}`]: { sizeBytes: 21 * MiB } } });
    const second = await copyStep(
      { ...job(f), copiedBytes: ARCHIVE_PART_BYTES, resume: first.kind === "progress" ? first.resume : null },
      limits(),
    );
    expect(second).toMatchObject({ kind: "failed", permanent: false, resume: null, copiedBytes: 0 });
    const third = await copyStep(job(f), limits());
    expect(third).toMatchObject({ kind: "copied", size: 21 * MiB });
    expect(await storedSha256(f.key)).toBe(await upstreamSha256(f.taskId, f.name));
  }, 20_000);

  it("defers without fetching the body when the allowance cannot take the first part", async () => {
    const f = await file({ sizeBytes: 100_000 });
    expect(await copyStep(job(f), limits({ takeBytes: () => false }))).toEqual({ kind: "deferred" });
    expect(await bucket.head(f.key)).toBeNull();
  });

  it.each([
    ["https://10.0.0.7/v.mp4", "the file's URL points to a private, loopback, link-local or reserved address"],
    ["https://169.254.169.254/latest/meta-data", "the file's URL points to a private, loopback, link-local or reserved address"],
    ["https://metadata.google.internal/x", "the file's URL points to a cloud metadata or internal host"],
    ["https://localhost/x", "the file's URL must not be localhost"],
    ["http://cdn.example.com/v.mp4", "the file's URL must use https"],
  ])("never fetches %s (the address wall of callback URLs), for good", async (url, error) => {
    const outcome = await copyStep(
      { bucket, key: `test/${unique("w")}`, sourceUrl: url, copiedBytes: 0, resume: null },
      limits({ allowInsecure: false }),
    );
    expect(outcome).toEqual({ kind: "failed", permanent: true, error, copiedBytes: 0, resume: null, bytes: 0 });
  });

  it("follows a redirect to the file, and refuses one to a private address", async () => {
    const f = await file({ sizeBytes: 100_000 });
    const viaRedirect = await copyStep({ ...job(f), sourceUrl: await redirector(302, f.url) }, limits());
    expect(viaRedirect).toMatchObject({ kind: "copied", size: 100_000 });
    expect(await storedSha256(f.key)).toBe(await upstreamSha256(f.taskId, f.name));
    const walled = await copyStep({ ...job(f), sourceUrl: await redirector(307, "http://10.1.2.3/v.mp4") }, limits());
    expect(walled).toMatchObject({
      kind: "failed",
      permanent: true,
      error: "the file's URL points to a private, loopback, link-local or reserved address",
    });
  });
});
