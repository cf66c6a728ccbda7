import { describe, expect, it } from "vitest";
import { type DeliveryExchange, planDelivery } from "../../src/domain/delivery-plan";

const SCHEDULE = [5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000] as const;
const NOW = Date.UTC(2026, 5, 1, 12, 0, 0);
const half = () => 0.5;

const answer = (status: number, retryAfter: string | null = null, body: string | null = null): DeliveryExchange => ({
  kind: "response",
  status,
  retryAfter,
  durationMs: 120,
  body,
});
const scheduled = (step: number): number => {
  const wait = SCHEDULE[step];
  if (wait === undefined) throw new Error(`no step ${step}`);
  return wait;
};

describe("planDelivery: answers", () => {
  it.each([200, 201, 204, 299])("%i is delivered", (status) => {
    for (const step of [0, 3, 7]) {
      expect(planDelivery(step, answer(status), NOW, SCHEDULE, half)).toEqual({
        status: "delivered",
        scheduleStep: step,
        nextAttemptAt: null,
        statusCode: status,
        error: null,
        durationMs: 120,
        responseBody: null,
        subscriptionFailure: null,
      });
    }
  });

  it("keeps the start of the receiver's answer with every outcome, none without an answer", () => {
    for (const status of [200, 410, 500])
      expect(planDelivery(0, answer(status, null, "queued"), NOW, SCHEDULE, half).responseBody).toBe("queued");
    expect(planDelivery(0, { kind: "timeout", durationMs: 15_000 }, NOW, SCHEDULE, half).responseBody).toBeNull();
    expect(planDelivery(0, { kind: "network", message: "ECONNREFUSED", durationMs: 3 }, NOW, SCHEDULE, half).responseBody).toBeNull();
  });

  it("410 fails the message and the subscription as gone, with no next attempt", () => {
    for (const step of [0, 4]) {
      expect(planDelivery(step, answer(410), NOW, SCHEDULE, half)).toMatchObject({
        status: "failed",
        nextAttemptAt: null,
        statusCode: 410,
        subscriptionFailure: "gone",
      });
    }
  });

  it("a refused callback URL fails with callback_url_rejected", () => {
    const u = planDelivery(2, { kind: "refused", message: "callback_url points to a private address" }, NOW, SCHEDULE, half);
    expect(u).toMatchObject({
      status: "failed",
      nextAttemptAt: null,
      statusCode: null,
      subscriptionFailure: "callback_url_rejected",
      error: "callback_url points to a private address",
    });
  });
});

describe("planDelivery: failures are retried on the schedule", () => {
  const failures: ReadonlyArray<readonly [string, DeliveryExchange, number | null]> = [
    ["500", answer(500), 500],
    ["404", answer(404), 404],
    ["400", answer(400), 400],
    ["301 redirect", answer(301), 301],
    ["302 redirect", answer(302), 302],
    ["307 redirect", answer(307), 307],
    ["timeout", { kind: "timeout", durationMs: 15_000 }, null],
    ["network error", { kind: "network", message: "ECONNREFUSED", durationMs: 3 }, null],
  ];
  it.each(failures)("%s is pending with the scheduled wait", (_name, exchange, statusCode) => {
    for (let step = 0; step < SCHEDULE.length; step++) {
      const u = planDelivery(step, exchange, NOW, SCHEDULE, half);
      expect(u).toMatchObject({
        status: "pending",
        scheduleStep: step + 1,
        nextAttemptAt: NOW + scheduled(step),
        statusCode,
        subscriptionFailure: null,
      });
      expect(u.error).toEqual(expect.any(String));
      expect(u.error).not.toBe("");
    }
  });

  it("says redirects are not followed", () => {
    expect(planDelivery(0, answer(302), NOW, SCHEDULE, half).error).toMatch(/302/);
  });

  it("a message failing 8 times waits exactly the 7 scheduled waits, then fails for good", () => {
    let step = 0;
    let at = NOW;
    const waits: number[] = [];
    for (let attempt = 1; attempt <= 7; attempt++) {
      const u = planDelivery(step, answer(500), at, SCHEDULE, half);
      expect(u.status).toBe("pending");
      if (u.nextAttemptAt === null) throw new Error("expected a next attempt");
      waits.push(u.nextAttemptAt - at);
      step = u.scheduleStep;
      at = u.nextAttemptAt;
    }
    expect(waits).toEqual([...SCHEDULE]);
    expect(at - NOW).toBe(99_305_000); // about 27.5 h, as Svix
    const last = planDelivery(step, answer(500), at, SCHEDULE, half);
    expect(last).toMatchObject({ status: "failed", nextAttemptAt: null, subscriptionFailure: "retries_exhausted", statusCode: 500 });
  });

  it.each([
    ["timeout", { kind: "timeout", durationMs: 15_000 }],
    ["410 is still gone", answer(410)],
  ] as const)("the 8th failure is final (%s)", (_name, exchange) => {
    const u = planDelivery(SCHEDULE.length, exchange, NOW, SCHEDULE, half);
    expect(u.status).toBe("failed");
    expect(u.nextAttemptAt).toBeNull();
  });
});

describe("planDelivery: jitter", () => {
  it.each([0, 0.999])("random %s stays within ±10%% of every scheduled wait", (r) => {
    for (let step = 0; step < SCHEDULE.length; step++) {
      const u = planDelivery(step, answer(500), NOW, SCHEDULE, () => r);
      const wait = (u.nextAttemptAt ?? 0) - NOW;
      expect(wait).toBeGreaterThanOrEqual(scheduled(step) * 0.9);
      expect(wait).toBeLessThanOrEqual(scheduled(step) * 1.1);
    }
  });

  it("actually spreads retries", () => {
    const low = planDelivery(1, answer(500), NOW, SCHEDULE, () => 0).nextAttemptAt ?? 0;
    const high = planDelivery(1, answer(500), NOW, SCHEDULE, () => 0.999).nextAttemptAt ?? 0;
    expect(low).toBeLessThan(NOW + scheduled(1));
    expect(high).toBeGreaterThan(NOW + scheduled(1));
  });
});

describe("planDelivery: Retry-After", () => {
  const httpDate = (ms: number) => new Date(NOW + ms).toUTCString();

  it.each([429, 503])("%i honours a longer Retry-After in seconds and as an HTTP date", (status) => {
    expect(planDelivery(0, answer(status, "3600"), NOW, SCHEDULE, half)).toMatchObject({
      status: "pending",
      nextAttemptAt: NOW + 3_600_000,
      scheduleStep: 1,
    });
    expect(planDelivery(0, answer(status, httpDate(1_200_000)), NOW, SCHEDULE, half).nextAttemptAt).toBe(NOW + 1_200_000);
  });

  it.each([429, 503])("%i keeps the scheduled wait when Retry-After is shorter", (status) => {
    expect(planDelivery(1, answer(status, "10"), NOW, SCHEDULE, half).nextAttemptAt).toBe(NOW + scheduled(1));
    expect(planDelivery(1, answer(status, httpDate(10_000)), NOW, SCHEDULE, half).nextAttemptAt).toBe(NOW + scheduled(1));
  });

  it("500 ignores Retry-After", () => {
    expect(planDelivery(0, answer(500, "3600"), NOW, SCHEDULE, half).nextAttemptAt).toBe(NOW + scheduled(0));
    expect(planDelivery(0, answer(500, httpDate(3_600_000)), NOW, SCHEDULE, half).nextAttemptAt).toBe(NOW + scheduled(0));
  });

  it("an unreadable Retry-After falls back to the schedule", () => {
    expect(planDelivery(0, answer(429, "soon"), NOW, SCHEDULE, half).nextAttemptAt).toBe(NOW + scheduled(0));
  });
});
