import { describe, expect, it } from "vitest";
import { attemptErrorClass } from "../../src/domain/attempt-error-class";
import { type DeliveryExchange, planDelivery } from "../../src/domain/delivery-plan";

const NOW = Date.UTC(2026, 5, 1);
/** What an attempt of this exchange stores, classified. */
const classOf = (exchange: DeliveryExchange) => {
  const u = planDelivery(0, exchange, NOW, [5_000], () => 0.5);
  return attemptErrorClass(u.statusCode, u.error);
};
const answer = (status: number): DeliveryExchange => ({ kind: "response", status, retryAfter: null, durationMs: 5, body: null });

describe("attemptErrorClass, of what delivery-plan stores", () => {
  it.each([
    [200, null],
    [204, null],
    [301, "http_3xx"],
    [302, "http_3xx"],
    [400, "http_4xx"],
    [410, "http_4xx"],
    [429, "http_4xx"],
    [500, "http_5xx"],
    [503, "http_5xx"],
    [524, "http_5xx"],
  ])("an answer %i is %s", (status, expected) => {
    expect(classOf(answer(status))).toBe(expected);
  });

  it("names a timeout, a network failure and a refused URL", () => {
    expect(classOf({ kind: "timeout", durationMs: 15_000 })).toBe("timeout");
    expect(classOf({ kind: "network", message: "connection refused by h (ECONNREFUSED)", durationMs: 3 })).toBe("network");
    expect(classOf({ kind: "refused", message: "callback_url points to a private address" })).toBe("refused");
  });
});
