/**
 * Ticks that cannot make progress end, under the real `wrangler dev` and the real clock: the
 * deadline is enforced from outside workerd (the tick request's own time limit), so a tick that
 * spins or naps for ever fails here instead of hanging the suite.
 */
import { randomBytes } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { type RelayStack, startRelayStack } from "../../tools/relay-stack";

const SECRET = `whsec_${randomBytes(32).toString("base64")}`;
const API_KEY = `e2e-${randomBytes(12).toString("hex")}`;
const UPSTREAM_KEY = `sim-${randomBytes(12).toString("hex")}`;
const WALL_SECONDS = 3;
const TIMEOUT_SECONDS = 1;
/** What every tick promises: its wall budget plus one request timeout, with room for D1 and the HTTP hop. */
const TICK_LIMIT_MS = (WALL_SECONDS + TIMEOUT_SECONDS) * 1000 + 4_000;

let stack: RelayStack | undefined;
afterEach(async () => {
  await stack?.stop();
  stack = undefined;
});

interface TickLine {
  endReason: string;
  durationMs: number;
  claimed: number;
  d1: { queries: number };
}

/** The first tick line the Worker logged (wrangler passes console lines on a moment later). */
async function firstTickLine(output: () => string): Promise<TickLine> {
  const until = Date.now() + 5_000;
  for (;;) {
    const line = output()
      .split("\n")
      .map((l) => l.slice(l.indexOf("{")))
      .find((l) => l.startsWith('{"event":"tick"'));
    if (line) return JSON.parse(line) as TickLine;
    if (Date.now() > until) throw new Error("no tick line in wrangler's output");
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function relayWith(vars: Record<string, string>, tasks: number) {
  stack = await startRelayStack({
    apiKey: API_KEY,
    secret: SECRET,
    upstreamKey: UPSTREAM_KEY,
    seed: 5,
    vars: { TICK_WALL_BUDGET_SECONDS: String(WALL_SECONDS), UPSTREAM_TIMEOUT_SECONDS: String(TIMEOUT_SECONDS), ...vars },
  });
  const hook = `${stack.network.url}/hooks/ends`;
  for (let i = 0; i < tasks; i++) {
    await stack.client.register({ task_id: `ends-${i}`, action: "videos", action2: "text2video", callback_url: hook });
  }
  return stack;
}

describe("a tick under wrangler dev and the real clock", () => {
  it("ends when its subrequest budget is spent with tasks still due", async () => {
    const { relay } = await relayWith({ SUBREQUEST_BUDGET: "10" }, 30);
    const started = Date.now();
    await relay.fireScheduled({ timeoutMs: TICK_LIMIT_MS });
    expect(Date.now() - started).toBeLessThan(TICK_LIMIT_MS);
    const line = await firstTickLine(relay.output);
    expect(line).toMatchObject({ endReason: "subrequest_budget", claimed: 8 });
    expect(line.d1.queries).toBeLessThanOrEqual(60);
  });

  it("ends when polling is paused (no COMETAPI_KEY) and a task is due", async () => {
    const { relay } = await relayWith({ COMETAPI_KEY: "" }, 1);
    await relay.fireScheduled({ timeoutMs: TICK_LIMIT_MS });
    const line = await firstTickLine(relay.output);
    expect(line).toMatchObject({ endReason: "paused", claimed: 0 });
    expect(line.d1.queries).toBeLessThanOrEqual(5);
  });
});
