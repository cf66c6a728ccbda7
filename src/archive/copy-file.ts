import { systemClock } from "../lib/clock";
import { fetchSource } from "./fetch-source";

/** A copy under way: enough to go on from where the last step stopped, in another invocation. */
export interface CopyResume {
  uploadId: string;
  parts: R2UploadedPart[];
  /** The whole file's size, when upstream said it. */
  size: number | null;
  contentType: string;
  /** Upstream's strong ETag or Last-Modified, sent as `If-Range`: a changed file starts over. */
  validator: string | null;
}

export interface CopyJob {
  bucket: R2Bucket;
  key: string;
  sourceUrl: string;
  /** Bytes already in R2 (the resumed upload's parts); 0 with no resume. */
  copiedBytes: number;
  /**
   * The upload under way as last recorded. With `copiedBytes` 0 it holds no part worth going on
   * from (the step that started it died, or failed, before its first part ended): it is aborted
   * and the copy starts over.
   */
  resume: CopyResume | null;
  /**
   * Records a new multipart upload before its first part (false: it could not, the lease is
   * lost): an upload whose id is nowhere could never be aborted by the steps that follow.
   */
  noteUpload?: (resume: CopyResume) => Promise<boolean>;
}

export interface CopyLimits {
  /** `ARCHIVE_MAX_BYTES`: a larger file is refused for good. */
  maxBytes: number;
  /** This step's whole time (the per-copy timeout, or less when the invocation ends sooner). */
  timeoutMs: number;
  /**
   * Once this long has passed, start no further part: the step ends after the part under way (a
   * tick copies in slices between its polls). Never cuts a part short, so every slice progresses.
   */
  sliceMs?: number;
  partBytes: number;
  allowInsecure: boolean;
  /**
   * Asks the invocation's byte allowance for the next part (or the whole small file); false stops
   * the step where it is, to go on in a later one.
   */
  takeBytes(bytes: number): boolean;
}

export type CopyOutcome =
  | { kind: "copied"; size: number; contentType: string; bytes: number }
  /** Parts were copied; the rest waits for another step (allowance or time spent). */
  | { kind: "progress"; copiedBytes: number; resume: CopyResume; bytes: number }
  /** Nothing was done: no allowance left for even one part. */
  | { kind: "deferred" }
  /**
   * The step failed. `resume` is what survives (null: start over); `permanent`: retrying cannot
   * help (too large, an address the relay never fetches).
   */
  | { kind: "failed"; error: string; permanent: boolean; copiedBytes: number; resume: CopyResume | null; bytes: number };

class CopyError extends Error {
  constructor(
    message: string,
    readonly permanent = false,
    /** The resumed upload no longer holds what we thought: start over. */
    readonly restart = false,
  ) {
    super(message);
  }
}

/** `bytes a-b/total` of a 206, or null. */
function contentRange(header: string | null): { start: number; total: number | null } | null {
  const match = /^bytes (\d+)-\d+\/(\d+|\*)$/.exec(header?.trim() ?? "");
  if (!match) return null;
  return { start: Number(match[1]), total: match[2] === "*" ? null : Number(match[2]) };
}

/** A non-negative integer header, or null. */
function lengthOf(header: string | null): number | null {
  if (header === null || !/^\d+$/.test(header.trim())) return null;
  return Number(header.trim());
}

/** Reads exact slices off a body, keeping what a chunk had beyond the slice for the next one. */
class SliceReader {
  private leftover: Uint8Array | null = null;
  constructor(private readonly reader: ReadableStreamDefaultReader<Uint8Array>) {}

  /** The next chunk of at most `max` bytes, or null at the end of the body. */
  async next(max: number): Promise<Uint8Array | null> {
    let chunk = this.leftover;
    this.leftover = null;
    while (chunk === null || chunk.byteLength === 0) {
      const read = await this.reader.read();
      if (read.done) return null;
      chunk = read.value;
    }
    if (chunk.byteLength > max) {
      this.leftover = chunk.subarray(max);
      return chunk.subarray(0, max);
    }
    return chunk;
  }

  /** Writes exactly `length` bytes to `writable`, then closes it; a body that ends sooner errors it. */
  async pipeExactly(writable: WritableStream<Uint8Array>, length: number): Promise<void> {
    const writer = writable.getWriter();
    try {
      let left = length;
      while (left > 0) {
        const chunk = await this.next(left);
        if (chunk === null) throw new CopyError("upstream's body ended before its stated length");
        await writer.write(chunk);
        left -= chunk.byteLength;
      }
      await writer.close();
    } catch (error) {
      await writer.abort(error).catch(() => undefined);
      throw error;
    }
  }

  /** Up to `length` bytes in one buffer (only when upstream gave no length): fewer at the end. */
  async collect(length: number): Promise<Uint8Array> {
    const buffer = new Uint8Array(length);
    let filled = 0;
    while (filled < length) {
      const chunk = await this.next(length - filled);
      if (chunk === null) break;
      buffer.set(chunk, filled);
      filled += chunk.byteLength;
    }
    return buffer.subarray(0, filled);
  }

  cancel(): Promise<void> {
    return this.reader.cancel().catch(() => undefined);
  }
}

/**
 * One step of copying an output file from upstream into R2, streaming: a file of at most one part
 * in a single `put`, a larger one (or one of unknown length) as an R2 multipart upload, as many
 * parts as the allowance and the time let, resumed by the next step with a Range request
 * (`If-Range` upstream's validator: a file that changed starts over). The object keeps upstream's
 * content type. Never throws: every failure is an outcome, and an abandoned upload is aborted.
 */
export async function copyStep(job: CopyJob, limits: CopyLimits): Promise<CopyOutcome> {
  const signal = AbortSignal.timeout(limits.timeoutMs);
  const sliceEndsAt = systemClock.now() + (limits.sliceMs ?? Infinity);
  const resuming = job.resume !== null && job.copiedBytes > 0;
  let bytes = 0;
  let copiedBytes = resuming ? job.copiedBytes : 0;
  let resume: CopyResume | null = resuming ? job.resume : null;
  let body: SliceReader | null = null;
  const failed = (error: string, permanent = false): Extract<CopyOutcome, { kind: "failed" }> => ({
    kind: "failed",
    error,
    permanent,
    copiedBytes,
    resume,
    bytes,
  });

  // An upload recorded with no part to go on from: abort it before starting over. Should R2 not
  // answer, the record stays as it is, for the next step to try again.
  if (job.resume !== null && !resuming) {
    try {
      await job.bucket.resumeMultipartUpload(job.key, job.resume.uploadId).abort();
    } catch (error) {
      // Nothing copied yet (`failed` says so); the upload stays recorded.
      return {
        ...failed(`aborting the upload a step left failed: ${error instanceof Error ? error.message : String(error)}`),
        resume: job.resume,
      };
    }
  }

  try {
    const headers: Record<string, string> = resuming ? { range: `bytes=${job.copiedBytes}-` } : {};
    if (resuming && job.resume?.validator) headers["if-range"] = job.resume.validator;
    const answer = await fetchSource(job.sourceUrl, headers, signal, limits.allowInsecure);
    if (answer.kind === "refused") return failed(answer.reason, true);
    const response = answer.response;
    if (response.body) body = new SliceReader(response.body.getReader());

    let size: number | null;
    if (resuming && response.status === 206) {
      const range = contentRange(response.headers.get("content-range"));
      if (range === null || range.start !== job.copiedBytes || (job.resume?.size != null && range.total !== job.resume.size))
        throw new CopyError("upstream answered another range than asked", false, true);
      size = job.resume?.size ?? null;
    } else if (resuming && response.status === 200) {
      // Upstream ignores ranges, or the file changed since the first part: start over.
      throw new CopyError("upstream sent the whole file when asked for the rest (changed, or no ranges)", false, true);
    } else if (response.status !== 200) {
      throw new CopyError(`upstream answered ${response.status}`);
    } else {
      size = lengthOf(response.headers.get("content-length"));
    }
    if (size !== null && size > limits.maxBytes)
      throw new CopyError(`the file is ${size} bytes, over ARCHIVE_MAX_BYTES (${limits.maxBytes})`, true);

    const contentType = resume?.contentType ?? response.headers.get("content-type") ?? "application/octet-stream";
    if (!body) throw new CopyError("upstream sent no body");

    // A small file of known length: one put, streamed.
    if (!resuming && size !== null && size <= limits.partBytes) {
      if (!limits.takeBytes(size)) {
        await body.cancel();
        return { kind: "deferred" };
      }
      const fixed = new FixedLengthStream(size);
      const [, object] = await Promise.all([
        body.pipeExactly(fixed.writable, size),
        job.bucket.put(job.key, fixed.readable, { httpMetadata: { contentType } }),
      ]);
      bytes = size;
      await expectEnd(body);
      return { kind: "copied", size: object?.size ?? size, contentType, bytes };
    }

    const validator = resume?.validator ?? strongValidator(response.headers);
    const upload = resume
      ? job.bucket.resumeMultipartUpload(job.key, resume.uploadId)
      : await job.bucket.createMultipartUpload(job.key, { httpMetadata: { contentType } });
    const started = resume === null;
    resume = { uploadId: upload.uploadId, parts: [...(resume?.parts ?? [])], size, contentType, validator };
    if (started && job.noteUpload && !(await job.noteUpload(resume)))
      throw new CopyError("the upload could not be recorded (the lease is lost)", false, true);
    for (;;) {
      const left = size === null ? limits.partBytes : Math.min(limits.partBytes, size - copiedBytes);
      if (size !== null && left === 0) break;
      if (bytes > 0 && systemClock.now() >= sliceEndsAt) {
        await body.cancel();
        return { kind: "progress", copiedBytes, resume, bytes };
      }
      if (!limits.takeBytes(left)) {
        await body.cancel();
        if (bytes === 0 && copiedBytes === 0) {
          await upload.abort().catch(() => undefined);
          return { kind: "deferred" };
        }
        return bytes === 0 ? { kind: "deferred" } : { kind: "progress", copiedBytes, resume, bytes };
      }
      const partNumber = resume.parts.length + 1;
      let length = left;
      let part: R2UploadedPart;
      if (size === null) {
        const data = await body.collect(left);
        length = data.byteLength;
        if (copiedBytes + length > limits.maxBytes)
          throw new CopyError(`the file is over ARCHIVE_MAX_BYTES (${limits.maxBytes}) bytes`, true);
        // The end of a body of unknown length: an empty last part only when there is no part at all.
        if (length === 0 && resume.parts.length > 0) break;
        part = await upload.uploadPart(partNumber, data);
      } else {
        const fixed = new FixedLengthStream(length);
        [, part] = await Promise.all([body.pipeExactly(fixed.writable, length), upload.uploadPart(partNumber, fixed.readable)]);
      }
      resume.parts.push(part);
      copiedBytes += length;
      bytes += length;
      if (size === null && length < limits.partBytes) break;
    }
    if (size !== null) await expectEnd(body);
    const object = await upload.complete(resume.parts);
    return { kind: "copied", size: object.size, contentType, bytes };
  } catch (error) {
    await body?.cancel();
    const copyError = error instanceof CopyError ? error : null;
    if (copyError?.permanent || copyError?.restart) {
      if (resume)
        await job.bucket
          .resumeMultipartUpload(job.key, resume.uploadId)
          .abort()
          .catch(() => undefined);
      copiedBytes = 0;
      resume = null;
    }
    if (copyError) return failed(copyError.message, copyError.permanent);
    if (signal.aborted) return bytes > 0 && resume ? { kind: "progress", copiedBytes, resume, bytes } : failed("timed out");
    return failed(`copy failed: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** A body longer than its Content-Length is not the file upstream described. */
async function expectEnd(body: SliceReader): Promise<void> {
  if ((await body.next(1)) !== null) {
    await body.cancel();
    throw new CopyError("upstream's body is longer than its stated length", false, true);
  }
}

/** What `If-Range` may carry: a strong ETag, else Last-Modified; a weak ETag never matches a range. */
function strongValidator(headers: Headers): string | null {
  const etag = headers.get("etag");
  if (etag !== null && !etag.startsWith("W/")) return etag;
  return headers.get("last-modified");
}
