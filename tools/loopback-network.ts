/**
 * The network edge of the relay, served over real HTTP on loopback: the Kling simulator in its
 * three dialects (CometAPI at `/kling/v1/...`, Kling's legacy API at `/v1/...`, its new API's batch
 * query at `/tasks` and creates at `/{product}/{model}`), the files its results name at
 * `/media/{task id}/{file}`, webhook receivers at `/hooks/{name}`, control routes at `/_sim/...`.
 * One server for the workerd tests, the end-to-end tests, the demo and the benchmarks.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { json, readBody } from "./http-helpers.ts";
import { NEW_API_PRODUCTS } from "./kling-results.ts";
import { createKlingSimulator, type SimulatorOptions } from "./kling-simulator.ts";
import { createWebhookReceivers } from "./webhook-receivers.ts";

/** More routes, tried first: true when one answered (`parts`: the path's decoded segments). */
export type ExtraRoutes = (req: IncomingMessage, res: ServerResponse, parts: string[]) => Promise<boolean>;

export async function startLoopbackNetwork(options: SimulatorOptions & { port?: number; extraRoutes?: ExtraRoutes }) {
  const simulator = createKlingSimulator(options);
  const receivers = createWebhookReceivers(simulator.now);
  const benchResults: unknown[] = [];
  const server = createServer((req, res) => {
    const parts = new URL(req.url ?? "/", "http://loopback").pathname.split("/").slice(1).map(decodeURIComponent);
    const route = async () => {
      if (options.extraRoutes && (await options.extraRoutes(req, res, parts))) return;
      if (parts[0] === "kling") return simulator.serveApi(req, res, parts);
      if (parts[0] === "v1") return simulator.serveLegacy(req, res, parts);
      if (parts[0] === "tasks" && parts.length === 1) return simulator.serveBatch(req, res);
      if (parts[0] === "media") return simulator.media.serve(req, res, parts.slice(1));
      if (parts.length === 2 && Object.hasOwn(NEW_API_PRODUCTS, parts[0]!)) return simulator.serveNewCreate(req, res, parts);
      if (parts[0] === "hooks") return receivers.serveHook(req, res, parts[1] ?? "");
      if (parts[0] === "_sim" && parts[1] === "receivers") return receivers.serveControl(req, res, parts[2] ?? "");
      if (parts[0] === "_bench" && req.method === "POST") {
        benchResults.push(JSON.parse(await readBody(req)));
        return json(res, 200, {});
      }
      if (parts[0] === "_sim" && (await simulator.serveControl(req, res, parts)) !== undefined) return;
      if (!res.headersSent) json(res, 404, { error: "no such route" });
    };
    route().catch((error) => {
      if (!res.headersSent) json(res, 500, { error: String(error) });
    });
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  // Results name files the simulator serves here (unless the options named another base URL).
  if (options.baseUrl === undefined) simulator.setBaseUrl(url);
  return {
    url,
    simulator,
    receivers,
    /** What benchmarks running inside workerd reported (POST /_bench). */
    benchResults,
    close: () =>
      new Promise<void>((resolve) => {
        simulator.stop();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export type LoopbackNetwork = Awaited<ReturnType<typeof startLoopbackNetwork>>;
