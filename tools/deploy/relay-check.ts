import { setTimeout as sleep } from "node:timers/promises";
import { StepError } from "./wrangler-cli";

/**
 * Asks the deployed relay, until it answers as expected or `patienceMs` has passed: a Worker
 * just deployed (and a workers.dev hostname just made) may take some seconds to answer everywhere.
 */
async function expectStatus(step: string, url: string, expected: number, init: RequestInit, patienceMs: number): Promise<void> {
  const deadline = performance.now() + patienceMs;
  let last = "";
  for (let attempt = 0; ; attempt++) {
    try {
      const res = await fetch(url, { ...init, signal: AbortSignal.timeout(10_000) });
      const body = (await res.text()).slice(0, 300);
      if (res.status === expected) return;
      last = `answered ${res.status}: ${body}`;
    } catch (error) {
      last = `failed: ${error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error)}`;
    }
    if (performance.now() >= deadline) break;
    await sleep(Math.min(1000 * 2 ** attempt, 5000));
  }
  throw new StepError(step, `GET ${url} ${last} (expected ${expected})`);
}

/**
 * The live relay works: `/healthz` answers 200, and `/v1` takes the relay key (200) or, with no
 * key at hand (a later run: Cloudflare never shows a secret again), refuses a request without
 * one with 401. A misconfigured relay answers 503 there instead (its settings could not be read).
 */
export async function checkRelay(baseUrl: string, relayKey: string | undefined, patienceMs: number): Promise<string[]> {
  const url = (path: string) => new URL(path, baseUrl).toString();
  await expectStatus("check /healthz", url("/healthz"), 200, {}, patienceMs);
  const checked = [`GET /healthz: 200`];
  if (relayKey) {
    await expectStatus("check /v1", url("/v1/endpoints"), 200, { headers: { authorization: `Bearer ${relayKey}` } }, patienceMs);
    checked.push("GET /v1/endpoints with the relay key: 200");
  } else {
    await expectStatus("check /v1", url("/v1/endpoints"), 401, {}, patienceMs);
    checked.push("GET /v1/endpoints without a key: 401 (set RELAY_API_KEY to check with one)");
  }
  return checked;
}
