import { SQLiteSyncDialect } from "drizzle-orm/sqlite-core";
import { describe, expect, it } from "vitest";
import { MESSAGE_STATES, MESSAGE_STATUSES, OPEN_MESSAGE_STATES, stateAfterAttempt, statusOf } from "../src/domain/message-states";
import { messageIn, messageState, moveTo } from "../src/storage/message-sql";

const text = (q: Parameters<SQLiteSyncDialect["sqlToQuery"]>[0]) => new SQLiteSyncDialect().sqlToQuery(q);

describe("a message's states (domain/message-states.ts)", () => {
  it("are pending while open, and their own status once ended: every status is some state's", () => {
    expect(MESSAGE_STATES.map(statusOf)).toEqual(["pending", "pending", "pending", "delivered", "failed", "cancelled"]);
    expect(new Set(MESSAGE_STATES.map(statusOf))).toEqual(new Set(MESSAGE_STATUSES));
    expect(OPEN_MESSAGE_STATES.map(statusOf)).toEqual(["pending", "pending", "pending"]);
  });

  it("after an attempt: a retry is scheduled, an outcome its own state", () => {
    expect(["pending", "delivered", "failed"].map((s) => stateAfterAttempt(s as "pending"))).toEqual(["scheduled", "delivered", "failed"]);
  });

  it("are written into SQL as literals, the status moving with the state", () => {
    expect(text(messageIn("m.state", ...OPEN_MESSAGE_STATES))).toEqual({ sql: "m.state IN ('held', 'scheduled', 'leased')", params: [] });
    expect(text(messageIn("state", "held")).sql).toBe("state = 'held'");
    expect(text(messageState("leased")).sql).toBe("'leased'");
    expect(text(moveTo("cancelled")).sql).toBe("state = 'cancelled', status = 'cancelled'");
  });
});
