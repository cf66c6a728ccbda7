import { env } from "cloudflare:workers";
import { getTableColumns, getTableName, is, sql } from "drizzle-orm";
import { SQLiteSyncDialect, SQLiteTable } from "drizzle-orm/sqlite-core";
import { describe, expect, it } from "vitest";
import { ArchivedObjectRow, ClaimedArchiveFileRow, claimedArchiveColumns } from "../src/storage/archive-files";
import { TargetRow } from "../src/storage/claim-messages";
import { ClaimedTaskRow, claimedTaskColumns } from "../src/storage/claim-tasks";
import { BodyRow, bodyColumns } from "../src/storage/message-body";
import { column, decodeRows, int, type RowColumns, RowDecodeError, type RowSchema, rowSchema, textOrNull } from "../src/storage/rows";
import * as schema from "../src/storage/schema";
import { OUTLIVING_TASKS, PurgeCandidateRow, TASK_DEPENDENTS, taskDependentsDeletion } from "../src/storage/task-dependents";

const text = (q: Parameters<SQLiteSyncDialect["sqlToQuery"]>[0]) => new SQLiteSyncDialect().sqlToQuery(q).sql;
const tables = Object.values<unknown>(schema).filter((t): t is SQLiteTable => is(t, SQLiteTable));

/** The row schemas shared by several statements, each column read from a table of schema.ts. */
const PROJECTIONS: Record<string, RowSchema<RowColumns>> = {
  ClaimedTaskRow,
  ClaimedArchiveFileRow,
  ArchivedObjectRow,
  BodyRow,
  TargetRow,
  PurgeCandidateRow,
};

describe("row schemas (storage/rows.ts)", () => {
  const row = rowSchema({ id: column(schema.tasks.id), status: column(schema.tasks.upstreamAccount), n: int, note: textOrNull });

  it("pass rows through as they are, undeclared columns left on them", () => {
    const rows = [{ id: "tsk_1", status: "own", n: 2, note: null, parked: 0 }];
    expect(decodeRows(row, "a test", rows)).toBe(rows);
  });

  it("throw naming the query's purpose and the column: missing, null, of another kind, or outside its enum", () => {
    const ok = { id: "tsk_1", status: null, n: 2, note: "x" };
    const fails = (r: object) => () => decodeRows(row, "claim due tasks", [ok, r]);
    expect(fails({ ...ok, n: undefined })).toThrow(new RowDecodeError("claim due tasks: column n is missing, expected number"));
    expect(fails({ ...ok, id: null })).toThrow(new RowDecodeError("claim due tasks: column id is null, expected string"));
    expect(fails({ ...ok, note: 3 })).toThrow(new RowDecodeError("claim due tasks: column note is a number, expected string or null"));
    expect(fails({ ...ok, status: "theirs" })).toThrow(
      new RowDecodeError('claim due tasks: column status is "theirs", expected string (own) or null'),
    );
  });

  it("render the select lists as they were written by hand", () => {
    expect(text(claimedTaskColumns("t."))).toBe(
      "t.id, t.tenant_id, t.upstream_account, t.provider, t.task_id, t.action, t.action2, t.task_status, t.polls, t.error_streak, " +
        "t.not_found_streak, t.created_at, t.upstream_created_at, t.pushed_at",
    );
    expect(text(claimedArchiveColumns("a."))).toBe(
      "a.id, a.task_key AS taskKey, a.source_url AS sourceUrl, a.r2_key AS r2Key, a.copied_bytes AS copiedBytes, a.resume, a.attempts",
    );
    expect(text(bodyColumns("m."))).toBe("m.event_type, m.event_at, m.metadata, m.reason, m.data, m.body, m.archive");
  });

  it("read only columns the migrated D1 has, of the kind it stores", async () => {
    for (const [name, projection] of Object.entries(PROJECTIONS)) {
      for (const [key, c] of Object.entries(projection.columns)) {
        expect(c.source, `${name}.${key}`).toBeDefined();
        if (!c.source) continue;
        const table = getTableName(c.source.table);
        const info = await env.DB.prepare('SELECT type, "notnull" FROM pragma_table_info(?) WHERE name = ?')
          .bind(table, c.source.name)
          .first<{ type: string; notnull: number }>();
        expect(info, `${name}.${key}: ${table}.${c.source.name}`).not.toBeNull();
        expect(info?.type.toLowerCase() === "text" ? "string" : "number", `${name}.${key}`).toBe(c.kind);
      }
    }
  });
});

describe("a task's dependent rows (storage/task-dependents.ts)", () => {
  it("name every table that refers to a task or to one of its rows, and no other", () => {
    const singular = (table: SQLiteTable) => getTableName(table).replace(/s$/, "");
    const references = new Set(["task_key", "task_id", ...TASK_DEPENDENTS.map((d) => `${singular(d.table)}_id`)]);
    const referring = tables
      .filter((t) => t !== schema.tasks && Object.values(getTableColumns(t)).some((c) => references.has(c.name)))
      .map(getTableName);
    const declared = [...TASK_DEPENDENTS, ...OUTLIVING_TASKS].map((d) => getTableName(d.table));
    expect(new Set(referring)).toEqual(new Set(declared));
    expect(declared).toHaveLength(new Set(declared).size);
  });

  it("are deleted children first, with the statements retention and a tenant's removal wrote by hand", () => {
    expect(taskDependentsDeletion(sql`(?)`).map(text)).toEqual([
      "DELETE FROM delivery_attempts WHERE message_id IN (SELECT id FROM messages WHERE subscription_id IN (SELECT id FROM subscriptions WHERE task_key IN (?)))",
      "DELETE FROM messages WHERE subscription_id IN (SELECT id FROM subscriptions WHERE task_key IN (?))",
      "DELETE FROM subscriptions WHERE task_key IN (?)",
      "DELETE FROM archive_files WHERE task_key IN (?)",
    ]);
  });
});
