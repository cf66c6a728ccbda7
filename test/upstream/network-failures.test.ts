/**
 * What workerd's fetch really throws for each way a connection fails, from real loopback peers and
 * a host that does not resolve, and the words `last_error` gets for it (src/lib/network-failure.ts).
 */
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { fetchExchange } from "../../src/upstream/fetch-exchange";
import { manualClock, receiver, register, resetDb, tick, upstreamTask } from "../support/relay";

const auth = () => `Bearer ${env.COMETAPI_KEY}`;
const fakeHost = () => new URL(env.FAKE_URL).host;
const networkMessage = async (url: string, timeoutMs = 5_000) => {
  const exchange = await fetchExchange(url, auth(), timeoutMs);
  expect(exchange.kind).toBe("network");
  const { message } = exchange as { message: string };
  expect(message).not.toContain(env.COMETAPI_KEY);
  return message;
};

describe("an upstream that cannot be reached, in words", () => {
  it("a closed port: refused (workerd cannot tell it from a reset)", async () => {
    expect(await networkMessage("http://127.0.0.1:1/kling/v1/videos/text2video/t1")).toMatch(
      /^connection to 127\.0\.0\.1:1 refused, reset or closed before an answer/,
    );
  });

  it("a peer that resets the connection", async () => {
    const task = await upstreamTask([{ reset: true }]);
    const message = await networkMessage(`${env.FAKE_URL}/kling/v1/videos/text2video/${task.id}`);
    expect(message).toBe(`connection to ${fakeHost()} refused, reset or closed before an answer (Network connection lost.)`);
  });

  it("a host that does not resolve: workerd says only 'internal error', the words say what", async () => {
    const message = await networkMessage("http://no-such-upstream.invalid/kling/v1/videos/text2video/t1");
    expect(message).toMatch(/^could not resolve host no-such-upstream\.invalid \(internal error; reference = \w+\)$/);
  });

  it("TLS spoken to a plain HTTP server: the handshake fails", async () => {
    const message = await networkMessage(`https://${fakeHost()}/kling/v1/videos/text2video/t1`);
    expect(message).toMatch(/^could not resolve host [\d.:]+, or the TLS handshake with it failed \(internal error; reference = \w+\)$/);
  });

  it("a peer that never answers: a timeout", async () => {
    const task = await upstreamTask([{ hang: true }]);
    expect(await fetchExchange(`${env.FAKE_URL}/kling/v1/videos/text2video/${task.id}`, auth(), 300)).toEqual({ kind: "timeout" });
  });
});

describe("a task's last_error carries the cause", () => {
  beforeEach(resetDb);

  it("an upstream base URL that does not resolve", async () => {
    const task = await upstreamTask([{ status: "processing" }]);
    const hook = await receiver();
    await register({ task_id: task.id, callback_url: hook.url });
    await tick(manualClock(), { UPSTREAM_BASE_URL: "http://no-such-upstream.invalid" });
    const row = await env.DB.prepare("SELECT last_error FROM tasks WHERE task_id = ?").bind(task.id).first<{ last_error: string }>();
    expect(row?.last_error).toMatch(
      /^network_error: could not resolve host no-such-upstream\.invalid \(internal error; reference = \w+\)$/,
    );
  });
});
