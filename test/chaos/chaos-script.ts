/** What the chaos run asks of the simulator and the receivers: seeded, so a run replays exactly. */
import { ACTION_PAIR_LIST } from "../../src/domain/kling";
import type { ReceiverStep, UpstreamStep } from "../../tools/fake-protocol";

const PAIRS = ACTION_PAIR_LIST;

const comet = (message: string) => ({ error: { code: "", message, type: "comet_api_error" } });

/** Every upstream fault the chaos run injects, by name. */
export const UPSTREAM_FAULTS: Record<string, UpstreamStep> = {
  "429 with Retry-After": { http: 429, body: { code: 1302, message: "rate limit" }, headers: { "retry-after": "2" } },
  "429 without Retry-After": { http: 429, body: comet("too many requests") },
  "500": { http: 500, body: comet("internal error") },
  "502": { http: 502, body: comet("bad gateway") },
  "503": { http: 503, body: { code: 5001, message: "unavailable" } },
  "504": { http: 504, body: comet("gateway timeout") },
  timeout: { hang: true },
  "connection reset": { reset: true },
  "malformed JSON": { http: 200, body: '{"code":0,"data":{"task_status":"proc' },
  "HTML error page": { http: 502, body: "<html><body><h1>502 Bad Gateway</h1></body></html>", headers: { "content-type": "text/html" } },
  "code != 0 envelope": { http: 200, body: { code: 5000, message: "server error", request_id: "chaos" } },
};

export interface ScriptedTask {
  id: string;
  action: string;
  action2: string;
  /** Absent: the task is never found upstream. */
  steps?: UpstreamStep[];
  /** The `data` the relay must deliver in the final webhook (null for a task never found). */
  finalData: Record<string, unknown> | null;
  finalEvent: "task.succeeded" | "task.failed" | "task.expired";
}

export function scriptTask(id: string, random: () => number, now: number): ScriptedTask {
  const [action, action2] = PAIRS[Math.floor(random() * PAIRS.length)]!;
  if (random() < 0.06) return { id, action, action2, finalData: null, finalEvent: "task.expired" };
  const createdAt = now - Math.floor(random() * 60_000);
  const statuses: ("submitted" | "processing")[] = [];
  for (let i = 0, n = 1 + Math.floor(random() * 3); i < n; i++) statuses.push("submitted");
  for (let i = 0, n = 1 + Math.floor(random() * 4); i < n; i++) statuses.push("processing");
  // Some tasks flip back and forth between statuses before they finish.
  if (random() < 0.15) statuses.push("submitted", "processing");
  const failed = random() < 0.15;
  const steps: UpstreamStep[] = [];
  const faults = Object.values(UPSTREAM_FAULTS);
  statuses.forEach((status, i) => {
    if (random() < 0.3) steps.push(faults[Math.floor(random() * faults.length)]!);
    steps.push({ status, extra: { task_id: id, created_at: createdAt, updated_at: createdAt + (i + 1) * 1000 } });
  });
  if (random() < 0.3) steps.push(faults[Math.floor(random() * faults.length)]!);
  const finalData = {
    task_id: id,
    task_status: failed ? "failed" : "succeed",
    task_status_msg: failed ? "Failure to pass the risk control system" : "",
    task_info: {},
    task_result: failed ? {} : { videos: [{ id: `${id}-v`, url: `https://cdn.chaos.invalid/${id}.mp4`, duration: "5" }] },
    created_at: createdAt,
    updated_at: createdAt + 60_000,
  };
  steps.push({
    status: failed ? "failed" : "succeed",
    msg: finalData.task_status_msg,
    result: finalData.task_result,
    extra: { task_id: id, created_at: createdAt, updated_at: finalData.updated_at },
  });
  return { id, action, action2, steps, finalData, finalEvent: failed ? "task.failed" : "task.succeeded" };
}

/** Receiver behaviours and how a subscription to each must end. */
export const RECEIVERS: {
  name: string;
  weight: number;
  steps: ReceiverStep[];
  refused?: true;
  ends: "delivered" | "gone" | "endpoint_disabled";
}[] = [
  { name: "good", weight: 40, steps: [{ status: 200 }], ends: "delivered" },
  { name: "500s", weight: 12, steps: [{ status: 500 }, { status: 503 }, { status: 204 }], ends: "delivered" },
  {
    name: "429 with Retry-After",
    weight: 8,
    steps: [{ status: 429, headers: { "retry-after": "3" } }, { status: 200 }],
    ends: "delivered",
  },
  { name: "slower than the timeout", weight: 8, steps: [{ status: 200, delayMs: 700 }, { status: 200 }], ends: "delivered" },
  {
    name: "3xx redirect",
    weight: 8,
    steps: [{ status: 302, headers: { location: "https://elsewhere.invalid/" } }, { status: 200 }],
    ends: "delivered",
  },
  { name: "slow body", weight: 8, steps: [{ status: 200, trickleMs: 1_500 }], ends: "delivered" },
  { name: "410 gone", weight: 8, steps: [{ status: 410 }], ends: "gone" },
  { name: "connection refused", weight: 8, steps: [], refused: true, ends: "endpoint_disabled" },
];

export function pickReceiver(random: () => number) {
  const total = RECEIVERS.reduce((sum, r) => sum + r.weight, 0);
  let roll = random() * total;
  for (const receiver of RECEIVERS) {
    roll -= receiver.weight;
    if (roll < 0) return receiver;
  }
  return RECEIVERS[0]!;
}

/**
 * Endpoints that go down for a stretch of ticks and come back, each shared by the subscriptions of
 * every `every`-th task (from `offset`), to all five events: many messages due to one endpoint
 * while it is down, which is what its circuit is for. `down` is what it answers meanwhile. Each
 * stretch is shorter than the retry schedule (chaos-run.ts), so no message may spend all its
 * attempts: every one must be delivered once it is back.
 */
export interface Outage {
  name: string;
  /** Down from this tick (0: before the first) until the tick before `until`. */
  from: number;
  until: number;
  down: ReceiverStep;
  every: number;
  offset: number;
}

export const OUTAGES: Outage[] = [
  { name: "down-503", from: 0, until: 12, down: { status: 503 }, every: 4, offset: 0 },
  // Hangs past DELIVERY_TIMEOUT_SECONDS, as a host that is gone does; 503 if it ever answers.
  { name: "down-hangs", from: 2, until: 14, down: { status: 503, delayMs: 700 }, every: 4, offset: 2 },
];
