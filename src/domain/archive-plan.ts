import { isLosslessNumber, parse, stringify } from "lossless-json";
import { type ArchiveLinkConfig, archiveLink } from "./archive-link";
import type { ArchiveFileStatus } from "./archive-states";

/**
 * Rules of the archive (copying a succeeded task's output files into R2): which files, how failed
 * copies are retried, and how the webhook's `outputs[]` tell what became of each file. Pure.
 */

/**
 * Parts of a multipart copy. R2 wants every part but the last of one size, at least 5 MiB; a
 * file no larger than one part is copied with a single `put`. Memory: a part is streamed through
 * (its length is known from the file's), except when upstream sends no length, where one part at a
 * time is held: at most this much per copy in flight.
 */
export const ARCHIVE_PART_BYTES = 8 * 1024 * 1024;

/**
 * Keys per R2 delete (the most one `R2Bucket.delete` takes): one call for a tick's expired files,
 * and for a deleted tenant's slice.
 */
export const ARCHIVE_DELETE_BATCH = 1000;

/** The fields of an output entry that name a file to copy (legacy `url_mp3`/`url_wav` are renamed to these). */
export const ARCHIVE_FIELDS = ["url", "watermark_url", "mp3_url", "wav_url"] as const;
export type ArchiveField = (typeof ARCHIVE_FIELDS)[number];

export interface ArchiveFile {
  /** The output's position in `outputs[]`. */
  index: number;
  field: ArchiveField;
  url: string;
}

/** What became of one file, as stored in `tasks.archive_outputs` (JSON array of these). */
export interface ArchiveResult {
  index: number;
  field: string;
  /** The signed link, when copied. */
  url?: string;
  /** Why not, when given up. */
  error?: string;
  /** Still being copied: only `GET /v1/tasks/{task_id}/outputs` says so (a webhook waits for every file). */
  pending?: true;
}

/** `archive_error` of a copied file the relay cannot link: it has no secret to sign with, or no URL to link to. */
export const ARCHIVE_UNLINKED_ERROR = "copied, but the relay has no ARCHIVE_LINK_SECRET or PUBLIC_BASE_URL to link it";
/** `archive_error` of a file copied once and removed by retention since. */
export const ARCHIVE_DELETED_ERROR = "deleted by retention";

/** One file's row as far as the outputs tell it (storage's `archive_files`). */
export interface ArchiveFileState {
  index: number;
  field: string;
  status: ArchiveFileStatus;
  lastError: string | null;
}

/**
 * What the outputs say of one file: its link when copied and `link` is not null (null: the relay
 * cannot make links), why not when it is not there, or that it is still pending.
 * @example archiveResultOf({ index: 0, field: "url", status: "failed", lastError: "upstream answered 404" }, null)
 * // { index: 0, field: "url", error: "upstream answered 404" }
 */
export function archiveResultOf(file: ArchiveFileState, link: string | null): ArchiveResult {
  const { index, field } = file;
  switch (file.status) {
    case "pending":
      return { index, field, pending: true };
    case "copied":
      return link !== null ? { index, field, url: link } : { index, field, error: ARCHIVE_UNLINKED_ERROR };
    case "deleted":
      return { index, field, error: ARCHIVE_DELETED_ERROR };
    case "failed":
      return { index, field, error: file.lastError ?? "not copied" };
  }
}

/** The link to a file signed at `nowMs` when it is copied and the relay can link it, else null. */
export const linkToFile = (config: ArchiveLinkConfig, file: { status: string; r2Key: string }, nowMs: number): Promise<string | null> =>
  file.status === "copied" ? archiveLink(config, file.r2Key, nowMs) : Promise.resolve(null);

/** What became of each of a task's files (`archiveResultOf`), its copies linked afresh at `nowMs`. */
export async function archiveResultsOf(
  config: ArchiveLinkConfig,
  files: readonly (ArchiveFileState & { r2Key: string })[],
  nowMs: number,
): Promise<ArchiveResult[]> {
  return Promise.all(files.map(async (file) => archiveResultOf(file, await linkToFile(config, file, nowMs))));
}

type JsonObject = Record<string, unknown>;
const isObject = (value: unknown): value is JsonObject =>
  value !== null && typeof value === "object" && !Array.isArray(value) && !isLosslessNumber(value);

/** The normalised outputs (domain/task-outputs.ts `outputsJson`) as objects; [] for anything else. */
function entries(outputsJson: string): unknown[] {
  try {
    const value: unknown = parse(outputsJson);
    return Array.isArray(value) ? value : [];
  } catch {
    return [];
  }
}

/**
 * The files to copy: every http(s) URL in an archive field of every output entry.
 * @example archiveFilesOf('[{"type":"video","url":"https://cdn/v.mp4","watermark_url":""}]')
 * // [{ index: 0, field: "url", url: "https://cdn/v.mp4" }]
 */
export function archiveFilesOf(outputsJson: string): ArchiveFile[] {
  const files: ArchiveFile[] = [];
  entries(outputsJson).forEach((entry, index) => {
    if (!isObject(entry)) return;
    for (const field of ARCHIVE_FIELDS) {
      const url = Object.hasOwn(entry, field) ? entry[field] : undefined;
      if (typeof url === "string" && /^https?:\/\//i.test(url)) files.push({ index, field, url });
    }
  });
  return files;
}

/** Failed copies wait 15 s, 1 min, 4 min, 16 min... (at most an hour) before the next attempt. */
export const archiveBackoffMs = (failedAttempts: number) => Math.min(3_600_000, 15_000 * 4 ** Math.max(0, failedAttempts - 1));

/** The key an output entry gets for a file's link: `archived_url`, `archived_watermark_url`, ... */
export const archivedKey = (field: string) => `archived_${field}`;

/**
 * The outputs with what became of their files: `archived_url` (and `archived_watermark_url`,
 * `archived_mp3_url`, `archived_wav_url`) for each copied file, and `archive_error` on an entry
 * with a file given up (its first such file's reason, named when it is not `url`). Numbers and
 * keys of the entries stay exactly as they were. `archiveJson` null: the outputs unchanged.
 */
export function withArchive(outputsJson: string, archiveJson: string | null): string {
  if (archiveJson === null) return outputsJson;
  let results: ArchiveResult[];
  try {
    const value: unknown = JSON.parse(archiveJson);
    results = Array.isArray(value) ? (value as ArchiveResult[]) : [];
  } catch {
    return outputsJson;
  }
  return withArchiveResults(outputsJson, results);
}

/**
 * `withArchive` with the results already read; a pending file (`pending: true`) also gives its
 * entry `"archive_status": "pending"` (and no link for that file). Results naming no entry are
 * skipped.
 * @example withArchiveResults('[{"type":"video","url":"u","duration":5.10}]', [{ index: 0, field: "url", pending: true }])
 * // '[{"type":"video","url":"u","duration":5.10,"archive_status":"pending"}]'
 */
export function withArchiveResults(outputsJson: string, results: readonly ArchiveResult[]): string {
  if (results.length === 0) return outputsJson;
  const list = entries(outputsJson);
  for (const result of results) {
    const entry = list[result.index];
    if (!isObject(entry)) continue;
    if (typeof result.url === "string") entry[archivedKey(result.field)] = result.url;
    else if (result.pending === true) entry.archive_status = "pending";
    else if (typeof result.error === "string" && !Object.hasOwn(entry, "archive_error"))
      entry.archive_error = result.field === "url" ? result.error : `${result.field}: ${result.error}`;
  }
  return stringify(list) ?? outputsJson;
}
