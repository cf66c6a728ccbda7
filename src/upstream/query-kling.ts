import type { UpstreamExchange } from "../domain/poll-outcome";
import type { KlingProductPath } from "../domain/product-paths";
import { fetchExchange } from "./fetch-exchange";

/**
 * Kling's own API (without CometAPI): the legacy single-task query and the new batch query.
 * `authorization` is the whole header value, from `klingAuthorization` (./kling-auth.ts).
 * Both answer an `UpstreamExchange` (judged by `classifyPoll` / `classifyBatch`), never throw and
 * never follow redirects.
 */

// The legacy product paths are one list in the domain (./product-paths.ts), shared with the schemas and the simulator.
export { isKlingProductPath, KLING_PRODUCT_PATHS, type KlingProductPath } from "../domain/product-paths";

/** Kling documents no URL limit; common servers refuse a request line past 16 KiB. */
export const MAX_BATCH_URL_BYTES = 16_000;

export interface KlingLegacyQuery {
  /** e.g. `https://api-singapore.klingai.com` (trailing slashes are dropped). */
  baseUrl: string;
  /** The Authorization header value, `Bearer <api key or JWT>`. */
  authorization: string;
  productPath: KlingProductPath;
  /** The task id, or the caller's `external_task_id`. */
  taskId: string;
  timeoutMs: number;
}

export interface KlingBatchQuery {
  baseUrl: string;
  authorization: string;
  /** At least one id; see `chunkTaskIds` for how many fit one request. */
  taskIds: readonly string[];
  timeoutMs: number;
}

const trimBase = (baseUrl: string) => baseUrl.replace(/\/+$/, "");
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
/** `encodeURIComponent`, except that a lone surrogate (which it throws on) is sent as U+FFFD. */
const encodeId = (id: string): string => encodeURIComponent(id.replace(LONE_SURROGATE, "\uFFFD"));

/** `{base}/v1/{product path}/{encoded task id}`. */
export const klingLegacyUrl = (baseUrl: string, productPath: KlingProductPath, taskId: string): string =>
  `${trimBase(baseUrl)}/v1/${productPath}/${encodeId(taskId)}`;

/** `{base}/tasks?task_ids=a,b,c`: each id URL-encoded (a comma inside one becomes %2C), then comma-joined. */
export const klingBatchUrl = (baseUrl: string, taskIds: readonly string[]): string =>
  `${trimBase(baseUrl)}/tasks?task_ids=${taskIds.map(encodeId).join(",")}`;

/** The length in bytes (UTF-8) of `klingBatchUrl(baseUrl, taskIds)`. */
export const batchUrlLength = (baseUrl: string, taskIds: readonly string[]): number =>
  new TextEncoder().encode(klingBatchUrl(baseUrl, taskIds)).byteLength;

/**
 * `GET {base}/v1/{product path}/{task id}` (the legacy query; `data` is one task object, as
 * CometAPI proxies it: judge it with `classifyPoll`).
 * @example await queryKlingLegacy({ baseUrl, authorization, productPath: "videos/text2video", taskId: "8781", timeoutMs: 10_000 })
 */
export function queryKlingLegacy(query: KlingLegacyQuery): Promise<UpstreamExchange> {
  return fetchExchange(klingLegacyUrl(query.baseUrl, query.productPath, query.taskId), query.authorization, query.timeoutMs);
}

/**
 * `GET {base}/tasks?task_ids=a,b,c` (the new API's batch query; `data` is an array, one entry per
 * task found: judge it with `classifyBatch`). Keep each call to one chunk of `chunkTaskIds`.
 * @example await queryKlingBatch({ baseUrl, authorization, taskIds: ["a", "b"], timeoutMs: 10_000 })
 */
export function queryKlingBatch(query: KlingBatchQuery): Promise<UpstreamExchange> {
  return fetchExchange(klingBatchUrl(query.baseUrl, query.taskIds), query.authorization, query.timeoutMs);
}

/**
 * Splits ids into batches, in order and without duplicates, so that each batch has at most
 * `maxIds` ids and its `klingBatchUrl` at most `maxUrlBytes` bytes. An id too long to fit any
 * URL on its own still gets a batch of its own (upstream then refuses it): none is dropped.
 * Throws a RangeError when `maxIds` is not a positive integer (a configuration error).
 * @example chunkTaskIds("https://k", ["a", "b", "c"], 2) // [["a", "b"], ["c"]]
 */
export function chunkTaskIds(baseUrl: string, taskIds: readonly string[], maxIds: number, maxUrlBytes = MAX_BATCH_URL_BYTES): string[][] {
  if (!Number.isSafeInteger(maxIds) || maxIds < 1) throw new RangeError(`maxIds must be a positive integer, not ${maxIds}`);
  const emptyLength = batchUrlLength(baseUrl, []);
  const chunks: string[][] = [];
  let chunk: string[] = [];
  let length = emptyLength;
  for (const id of new Set(taskIds)) {
    // Encoded ids are ASCII: their length is their byte count.
    const encoded = encodeId(id).length;
    if (chunk.length > 0 && (chunk.length >= maxIds || length + 1 + encoded > maxUrlBytes)) {
      chunks.push(chunk);
      chunk = [];
      length = emptyLength;
    }
    length += encoded + (chunk.length > 0 ? 1 : 0);
    chunk.push(id);
  }
  if (chunk.length > 0) chunks.push(chunk);
  return chunks;
}
