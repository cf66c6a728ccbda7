import { describe, expect, it } from "vitest";
import { readTextPrefix } from "../../src/lib/read-bounded";

const encoder = new TextEncoder();

/** A body of these chunks; `pulled` counts the chunks read, `cancelled` says whether the rest was. */
function body(chunks: string[], { endless = false } = {}) {
  const state = { pulled: 0, cancelled: false };
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      const chunk = chunks[state.pulled] ?? (endless ? "x".repeat(100) : undefined);
      state.pulled += 1;
      if (chunk === undefined) controller.close();
      else controller.enqueue(encoder.encode(chunk));
    },
    cancel() {
      state.cancelled = true;
    },
  });
  return { stream, state };
}

describe("readTextPrefix", () => {
  it("reads a short body whole", async () => {
    const { stream } = body(["o", "k"]);
    expect(await readTextPrefix(stream, 1024)).toBe("ok");
  });

  it("keeps the first `limit` bytes of an endless body and cancels the rest", async () => {
    const { stream, state } = body(["ab"], { endless: true });
    const text = await readTextPrefix(stream, 1024);
    expect(text).toBe(`ab${"x".repeat(1022)}`);
    expect(state.cancelled).toBe(true);
    expect(state.pulled).toBeLessThan(20);
  });

  it("drops a character cut at the limit instead of ending in U+FFFD", async () => {
    const { stream } = body(["abc", "é"]);
    expect(await readTextPrefix(stream, 4)).toBe("abc");
  });

  it("is empty without a body", async () => {
    expect(await readTextPrefix(null, 1024)).toBe("");
  });

  it("ends with what came when the signal aborts a body that stalls", async () => {
    const controller = new AbortController();
    let cancelled = false;
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(encoder.encode("partial"));
      },
      pull() {
        return new Promise(() => undefined); // never more
      },
      cancel() {
        cancelled = true;
      },
    });
    setTimeout(() => controller.abort(), 20);
    expect(await readTextPrefix(stream, 1024, controller.signal)).toBe("partial");
    expect(cancelled).toBe(true);
  });

  it("ends with what came when the stream fails", async () => {
    let sent = false;
    const stream = new ReadableStream<Uint8Array>({
      pull(c) {
        if (sent) c.error(new Error("reset"));
        else c.enqueue(encoder.encode("half"));
        sent = true;
      },
    });
    expect(await readTextPrefix(stream, 1024)).toBe("half");
  });
});
