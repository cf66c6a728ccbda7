/**
 * The simulated workload the polling and push benchmarks share (sections 3 and 6), drawn the same
 * way from the same seed: images 10-30 s, video 1-5 min (upstream's typical durations), queued a
 * tenth of that at most 5 s, arriving evenly over 30 minutes; counted are the tasks arriving in
 * minutes 10-25 (the first minutes are the relay learning, the last ones a burst ending).
 */
import { seededRandom } from "../../tools/seeded-random";

export const IMAGE_SHARE = 0.3;
export const ARRIVALS_OVER_MS = 30 * 60_000;
export const MEASURED_FROM_MS = 10 * 60_000;
export const MEASURED_TO_MS = 25 * 60_000;
/** The loop an app would write: poll every 5 s. */
export const NAIVE_INTERVAL_MS = 5_000;

export interface WorkloadTask {
  n: number;
  kind: "images" | "videos";
  createdAt: number;
  /** Time from creation to the end (ms). */
  durationMs: number;
  /** Time spent `submitted` before `processing` (ms). */
  submittedMs: number;
}

export function drawWorkload(count: number, t0: number): WorkloadTask[] {
  const draw = seededRandom(2026);
  return Array.from({ length: count }, (_, n) => {
    const kind = draw() < IMAGE_SHARE ? "images" : "videos";
    const durationMs = Math.round(kind === "images" ? 10_000 + draw() * 20_000 : 60_000 + draw() * 240_000);
    const createdAt = t0 + Math.round(draw() * ARRIVALS_OVER_MS);
    return { n, kind, createdAt, durationMs, submittedMs: Math.round(Math.min(5_000, durationMs / 10)) };
  });
}

export const isMeasured = (t: WorkloadTask, t0: number) => t.createdAt - t0 >= MEASURED_FROM_MS && t.createdAt - t0 < MEASURED_TO_MS;
export const productOf = (t: WorkloadTask) => (t.kind === "images" ? "generations" : "text2video");

/** The naive loop on one task: its calls (at creation, then every 5 s until it sees the end) and its delay (s). */
export const naiveCalls = (t: WorkloadTask) => Math.ceil(t.durationMs / NAIVE_INTERVAL_MS) + 1;
export const naiveDelay = (t: WorkloadTask) => (Math.ceil(t.durationMs / NAIVE_INTERVAL_MS) * NAIVE_INTERVAL_MS - t.durationMs) / 1000;

export const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
};
export const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
