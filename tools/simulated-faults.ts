/** The upstream faults the Kling simulator can inject at random, and how it names what it served. */
import type { UpstreamStep } from "./fake-protocol.ts";

/** Faults injected into queries at random (each a probability per poll), plus a fixed latency. */
export interface Faults {
  latencyMs: number;
  rate429: number;
  /** `Retry-After` seconds sent with injected 429s; null sends none. */
  retryAfterSeconds: number | null;
  rate5xx: number;
  rateTimeout: number;
  rateReset: number;
  rateMalformed: number;
  rateHtml: number;
}

export const NO_FAULTS: Faults = {
  latencyMs: 0,
  rate429: 0,
  retryAfterSeconds: 1,
  rate5xx: 0,
  rateTimeout: 0,
  rateReset: 0,
  rateMalformed: 0,
  rateHtml: 0,
};

const retryAfterHeader = (f: Faults): Record<string, string> =>
  f.retryAfterSeconds === null ? {} : { "retry-after": String(f.retryAfterSeconds) };

/** A random fault for one poll, or null: drawn in a fixed order so a seed replays exactly. */
export function drawFault(f: Faults, random: () => number): UpstreamStep | null {
  const roll = random();
  let edge = 0;
  const table: [number, () => UpstreamStep][] = [
    [
      f.rate429,
      () => ({ http: 429, body: { code: 1302, message: "request rate too high", request_id: "sim" }, headers: retryAfterHeader(f) }),
    ],
    [
      f.rate5xx,
      () => ({
        http: [500, 502, 503, 504][Math.floor(random() * 4)]!,
        body: { error: { code: "", message: "upstream error (request id: sim)", type: "comet_api_error" } },
      }),
    ],
    [f.rateTimeout, () => ({ hang: true })],
    [f.rateReset, () => ({ reset: true })],
    [f.rateMalformed, () => ({ http: 200, body: '{"code":0,"data":{"task_status":' })],
    [
      f.rateHtml,
      () => ({ http: 502, body: "<html><body><h1>502 Bad Gateway</h1></body></html>", headers: { "content-type": "text/html" } }),
    ],
  ];
  for (const [rate, make] of table) {
    edge += rate;
    if (roll < edge) return make();
  }
  return null;
}

/** How a scripted answer is counted: `status:processing`, `fault:http_503`, `fault:timeout`, `omitted`, ... */
export const stepKind = (step: UpstreamStep) =>
  "status" in step
    ? `status:${step.status}`
    : "http" in step
      ? `fault:http_${step.http}`
      : "hang" in step
        ? "fault:timeout"
        : "omit" in step
          ? "omitted"
          : "fault:reset";
