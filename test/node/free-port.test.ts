/**
 * tools/wrangler-dev.ts's `onFreePort`: a port found free can be taken before the server binds it
 * (two e2e files at a time saw workerd answer "Address already in use"); the start then runs again
 * on another port, a bounded number of times, and never on another port than one the caller chose.
 * Real sockets on loopback: the port is taken by a listener, as another process would.
 */
import { createServer, type Server } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { onFreePort, PORT_ATTEMPTS } from "../../tools/wrangler-dev";

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

/** Listens on `port` (loopback): "listening", or "port_in_use" when something holds it. */
function listen(port: number): Promise<"listening" | "port_in_use"> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", (error: NodeJS.ErrnoException) => (error.code === "EADDRINUSE" ? resolve("port_in_use") : reject(error)));
    server.listen(port, "127.0.0.1", () => {
      servers.push(server);
      resolve("listening");
    });
  });
}

describe("onFreePort", () => {
  it("starts again on another port when the one found free was taken before the server listened", async () => {
    const tried: number[] = [];
    const result = await onFreePort(undefined, async (port) => {
      tried.push(port);
      // The first time, another listener takes the port between finding it free and binding it.
      if (tried.length === 1) expect(await listen(port)).toBe("listening");
      return listen(port);
    });
    expect(result).toBe("listening");
    expect(tried).toHaveLength(2);
    expect(tried[1]).not.toBe(tried[0]);
  });

  it(`gives up after ${PORT_ATTEMPTS} ports, each taken first, saying so`, async () => {
    let calls = 0;
    await expect(
      onFreePort(undefined, async () => {
        calls += 1;
        return "port_in_use" as const;
      }),
    ).rejects.toThrow(`each of ${PORT_ATTEMPTS} ports found free was taken before the server listened`);
    expect(calls).toBe(PORT_ATTEMPTS);
  });

  it("never moves off a port the caller chose", async () => {
    const taken = await onFreePort(undefined, listen);
    expect(taken).toBe("listening");
    const port = (servers[0]!.address() as { port: number }).port;
    const tried: number[] = [];
    await expect(
      onFreePort(port, async (p) => {
        tried.push(p);
        return listen(p);
      }),
    ).rejects.toThrow(`port ${port} is in use`);
    expect(tried).toEqual([port]);
  });
});
