import { describe, expect, it } from "vitest";
import { readCallback, statusRank } from "../../src/domain/callback-body";

const NOW = Date.UTC(2026, 11, 1, 12, 0, 0);

describe("readCallback", () => {
  it("reads the legacy shape as the single query's data, numbers exactly as written", () => {
    const body = `{"task_id":"878106242831892487","task_status":"succeed","created_at":${NOW - 60_000},"updated_at":${NOW},"task_result":{"videos":[{"id":"v","url":"https://x/v.mp4","duration":"5.0","big":12345678901234567890}]}}`;
    const callback = readCallback(body, NOW);
    expect(callback).toMatchObject({ taskId: "878106242831892487", status: "succeed" });
    if (typeof callback === "string") throw new Error(callback);
    expect(callback.outcome).toEqual({ kind: "status", status: "succeed", data: body, createdAt: NOW - 60_000, updatedAt: NOW });
  });

  it("reads the new API's task object as one entry of the batch query (`succeeded` is `succeed`)", () => {
    const body = `{"id":"t-1","status":"succeeded","message":"","create_time":"${NOW - 1000}","update_time":${NOW},"external_id":"e","outputs":[],"billing":[]}`;
    const callback = readCallback(body, NOW);
    if (typeof callback === "string") throw new Error(callback);
    expect(callback).toMatchObject({ taskId: "t-1", status: "succeed" });
    expect(callback.outcome).toEqual({ kind: "status", status: "succeed", data: body, createdAt: NOW - 1000, updatedAt: NOW });
  });

  it("takes an integer id as its digits, and keeps a status it does not know", () => {
    const callback = readCallback('{"id":42,"status":"queued"}', NOW);
    expect(callback).toMatchObject({ taskId: "42", status: "queued", outcome: { kind: "status", status: "queued" } });
  });

  it.each([
    ["not json", "the body is not JSON"],
    ["[]", "the body is not a JSON object"],
    ["null", "the body is not a JSON object"],
    ["{}", "neither task_id nor id names a task"],
    ['{"task_id":"a/b","task_status":"succeed"}', "task_id is not a task id"],
    ['{"task_id":"a","task_status":""}', "task_status is missing"],
    ['{"id":"a"}', "status is missing"],
    [`{"id":"${"x".repeat(129)}","status":"succeeded"}`, "neither task_id nor id names a task"],
  ])("refuses %s", (body, why) => {
    expect(readCallback(body, NOW)).toBe(why);
  });

  it("reads a body nested too deep as a transient outcome, never as a state", () => {
    const deep = `{"task_id":"t","task_status":"succeed","x":${"[".repeat(100)}${"]".repeat(100)}}`;
    const callback = readCallback(deep, NOW);
    if (typeof callback === "string") throw new Error(callback);
    expect(callback.outcome.kind).toBe("transient");
  });
});

describe("statusRank", () => {
  it("orders the statuses, with nothing before them and unknown ones unranked", () => {
    expect([null, "submitted", "processing", "succeed", "failed", "queued"].map(statusRank)).toEqual([0, 1, 2, 3, 3, null]);
  });
});
