import { SQLiteSyncDialect } from "drizzle-orm/sqlite-core";
import { describe, expect, it } from "vitest";
import { ARCHIVE_HOLDING_STATES } from "../src/domain/archive-states";
import { archiveFileIn, archiveFileStatus, taskArchiveIn, taskArchiveList } from "../src/storage/archive-sql";

const text = (q: Parameters<SQLiteSyncDialect["sqlToQuery"]>[0]) => new SQLiteSyncDialect().sqlToQuery(q);

describe("the archive's states as SQL (domain/archive-states.ts)", () => {
  it("are inlined literals, word for word what the partial indexes name", () => {
    // schema.ts: tasks_archive_copying WHERE archive = 'copying'; archive_files_copied WHERE status = 'copied'.
    expect(text(taskArchiveIn("archive", "copying"))).toEqual({ sql: "archive = 'copying'", params: [] });
    expect(text(archiveFileIn("status", "copied"))).toEqual({ sql: "status = 'copied'", params: [] });
    expect(text(taskArchiveIn("t.archive", ...ARCHIVE_HOLDING_STATES)).sql).toBe("t.archive IN ('requested', 'copying')");
    expect(text(taskArchiveList(ARCHIVE_HOLDING_STATES)).sql).toBe("('requested', 'copying')");
    expect(text(archiveFileStatus("deleted")).sql).toBe("'deleted'");
  });
});
