/**
 * What `wrangler dev --persist-to` left on disk, read straight from its SQLite files: the local D1
 * and the R2 bucket's own bookkeeping (miniflare keeps objects, multipart uploads and their parts
 * in tables of a Durable Object's database). Read only while no workerd runs on the folder: a
 * second connection to a database workerd is writing could checkpoint its WAL under it.
 */
import { readdirSync } from "node:fs";
import path from "node:path";
import { DatabaseSync } from "node:sqlite";

/** miniflare's `MultipartUploadState` (its R2 bucket worker): 0 in progress, 1 completed, 2 aborted. */
export const UPLOAD_STATES = ["in progress", "completed", "aborted"] as const;

export interface MultipartUpload {
  uploadId: string;
  key: string;
  state: (typeof UPLOAD_STATES)[number];
  parts: number;
}

export interface ArchiveFileRow {
  r2Key: string;
  status: string;
  copiedBytes: number;
  sizeBytes: number | null;
  /** The upload the row says is under way (its `resume` JSON's `uploadId`), or null. */
  uploadId: string | null;
  leased: boolean;
}

/** The one database file of a miniflare Durable Object class folder (besides its `metadata.sqlite`). */
function databaseIn(dir: string, objectFolder: string): string {
  const folder = path.join(dir, "v3", objectFolder);
  const files = readdirSync(folder).filter((name) => name.endsWith(".sqlite") && name !== "metadata.sqlite");
  if (files.length !== 1) throw new Error(`expected one database in ${folder}, found ${files.join(", ") || "none"}`);
  return path.join(folder, files[0]!);
}

function read<T>(file: string, query: string): T[] {
  const db = new DatabaseSync(file, { readOnly: true });
  try {
    return db.prepare(query).all() as T[];
  } finally {
    db.close();
  }
}

/** Every multipart upload R2 ever started in this state folder, with what became of it. */
export function multipartUploads(dir: string): MultipartUpload[] {
  const rows = read<{ upload_id: string; key: string; state: number; parts: number }>(
    databaseIn(dir, "r2/miniflare-R2BucketObject"),
    `SELECT u.upload_id, u.key, u.state, (SELECT count(*) FROM _mf_multipart_parts p WHERE p.upload_id = u.upload_id) AS parts
     FROM _mf_multipart_uploads u ORDER BY u.rowid`,
  );
  return rows.map((r) => ({ uploadId: r.upload_id, key: r.key, state: UPLOAD_STATES[r.state] ?? "in progress", parts: r.parts }));
}

/** The objects in the bucket: key and size. */
export function r2Objects(dir: string): { key: string; size: number }[] {
  return read(databaseIn(dir, "r2/miniflare-R2BucketObject"), "SELECT key, size FROM _mf_objects ORDER BY key");
}

/** The relay's `archive_files` rows, as D1 holds them. */
export function archiveFileRows(dir: string): ArchiveFileRow[] {
  const rows = read<{
    r2_key: string;
    status: string;
    copied_bytes: number;
    size_bytes: number | null;
    resume: string | null;
    lease_token: string | null;
  }>(
    databaseIn(dir, "d1/miniflare-D1DatabaseObject"),
    "SELECT r2_key, status, copied_bytes, size_bytes, resume, lease_token FROM archive_files ORDER BY r2_key",
  );
  return rows.map((r) => ({
    r2Key: r.r2_key,
    status: r.status,
    copiedBytes: r.copied_bytes,
    sizeBytes: r.size_bytes,
    uploadId: r.resume === null ? null : (JSON.parse(r.resume) as { uploadId: string }).uploadId,
    leased: r.lease_token !== null,
  }));
}
