import { SQLiteSyncDialect } from "drizzle-orm/sqlite-core";
import { describe, expect, it } from "vitest";
import { stillPossibleSql, storedRankSql } from "../src/storage/event-order";

const text = (q: Parameters<SQLiteSyncDialect["sqlToQuery"]>[0]) => new SQLiteSyncDialect().sqlToQuery(q).sql.replace(/\s+/g, " ");

describe("the event order as SQL (rendered from EVENT_STAGES)", () => {
  it("asks which events a task can still send as the hand-written statement did", () => {
    expect(text(stillPossibleSql("e.value", "t.task_status"))).toBe(
      "e.value IN ('task.succeeded', 'task.failed', 'task.expired') OR (e.value = 'task.processing' AND (t.task_status IS NULL OR t.task_status = 'submitted')) OR (e.value = 'task.submitted' AND t.task_status IS NULL)",
    );
  });

  it("ranks a stored status as statusRank does", () => {
    expect(text(storedRankSql("task_status"))).toBe(
      "CASE WHEN task_status IS NULL THEN 0 WHEN task_status = 'submitted' THEN 1 WHEN task_status = 'processing' THEN 2 WHEN task_status = 'succeed' THEN 3 WHEN task_status = 'failed' THEN 3 END",
    );
  });
});
