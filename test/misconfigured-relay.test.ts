import { createExecutionContext, createMessageBatch, createScheduledController, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Env } from "../src/env";
import worker from "../src/index";
import { API_KEY, relayRequest } from "./support/relay";

/** Two settings wrong at once, each value one that must never be echoed. */
const BAD: Partial<Env> = {
  RELAY_API_KEYS: "LEAKME-short-key",
  WEBHOOK_SECRETS: "LEAKME-not-whsec",
  RETENTION_DAYS: "LEAKME-a-week",
};
const BAD_SETTINGS = ["RELAY_API_KEYS", "WEBHOOK_SECRETS", "RETENTION_DAYS"];

interface Envelope {
  error: { code: string; message: string; details?: { field: string; message: string }[] };
}

/** Every console line the code under test writes, as one string per call. */
function captureConsole() {
  const lines: string[] = [];
  for (const level of ["log", "info", "warn", "error", "debug"] as const)
    vi.spyOn(console, level).mockImplementation((...args: unknown[]) => void lines.push(args.map(String).join(" ")));
  return lines;
}

afterEach(() => vi.restoreAllMocks());

describe("a misconfigured relay says what is wrong, never a value", () => {
  it.each([
    ["/healthz", {}],
    ["/v1/tasks", { headers: { authorization: `Bearer ${API_KEY}` } }],
  ])("GET %s answers 503 misconfigured naming each invalid setting", async (path, init) => {
    captureConsole();
    const res = await relayRequest(path, init, BAD);
    expect(res.status).toBe(503);
    const text = await res.text();
    expect(text).not.toContain("LEAKME");
    const { error } = JSON.parse(text) as Envelope;
    expect(error.code).toBe("misconfigured");
    for (const name of BAD_SETTINGS) expect(error.message).toContain(name);
    expect(error.details?.map((d) => d.field).sort()).toEqual([...BAD_SETTINGS].sort());
    // Each says what the setting must be.
    expect(error.details?.find((d) => d.field === "RELAY_API_KEYS")?.message).toMatch(/at least 24 characters/);
  });

  it("/healthz answers 200 once the configuration is valid", async () => {
    const res = await relayRequest("/healthz", {});
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ ok: true });
  });

  it("the tick logs one JSON line naming the settings, not a stack, and does nothing", async () => {
    const lines = captureConsole();
    await worker.scheduled(createScheduledController({ scheduledTime: Date.now(), cron: "* * * * *" }), { ...env, ...BAD } as Env);
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toContain("LEAKME");
    expect(JSON.parse(lines[0]!)).toMatchObject({ event: "configuration_error", during: "tick", settings: BAD_SETTINGS });
  });

  it("a queue batch logs one line too, and is retried (nothing was done)", async () => {
    const lines = captureConsole();
    const batch = createMessageBatch("kling-webhook-relay-polls", [{ id: "msg-1", timestamp: new Date(), attempts: 1, body: {} }]);
    const ctx = createExecutionContext();
    await worker.queue(batch, { ...env, ...BAD } as Env);
    const result = await getQueueResult(batch, ctx);
    expect(result.retryBatch.retry).toBe(true);
    expect(result.explicitAcks).toEqual([]);
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ event: "configuration_error", during: "queue_batch", settings: BAD_SETTINGS });
  });
});
