/**
 * A scripted fake of the network edge, served over real HTTP on loopback:
 * CometAPI's Kling query endpoint and any number of webhook receivers.
 * Tests running inside workerd drive it through its `/_fake` control routes.
 *
 * Upstream: `PUT /_fake/tasks/{id}` with `{action, action2, steps, group?}`; each poll of
 * `GET /kling/v1/{action}/{action2}/{id}` answers the next step, the last one repeating.
 * Receivers: `PUT /_fake/receivers/{name}` with `{steps}`; `POST /hooks/{name}` records
 * the delivery and answers the next step (default 200).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { ReceiverStep, UpstreamStep } from "../support/fake-protocol";

interface FakeTask {
  action: string;
  action2: string;
  steps: UpstreamStep[];
  group?: string;
  latencyMs: number;
  polls: number;
  createdAt: number;
}

interface Receiver {
  steps: ReceiverStep[];
  deliveries: { headers: Record<string, string>; body: string; receivedAt: number }[];
}

export interface FakeNetwork {
  url: string;
  close(): Promise<void>;
}

const readBody = (req: IncomingMessage) =>
  new Promise<string>((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });

const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(JSON.stringify(body));
};

export async function startFakeNetwork(options: { upstreamKey: string }): Promise<FakeNetwork> {
  const tasks = new Map<string, FakeTask>();
  const receivers = new Map<string, Receiver>();
  const inFlight = new Map<string, { now: number; max: number }>();
  const hanging = new Set<ServerResponse>();

  const pick = <T>(steps: T[], index: number): T | undefined => steps[Math.min(index, steps.length - 1)];

  async function serveUpstream(req: IncomingMessage, res: ServerResponse, parts: string[]) {
    const [, , action, action2, taskId] = parts;
    if (req.headers.authorization !== `Bearer ${options.upstreamKey}`) {
      return json(res, 401, { code: 1001, message: "Authorization is invalid", request_id: "fake" });
    }
    const task = taskId ? tasks.get(taskId) : undefined;
    if (!task || task.action !== action || task.action2 !== action2) {
      return json(res, 404, { code: 1203, message: "task not found", request_id: "fake" });
    }
    const step = pick(task.steps, task.polls);
    task.polls += 1;
    const group = inFlight.get(task.group ?? "") ?? { now: 0, max: 0 };
    inFlight.set(task.group ?? "", group);
    group.now += 1;
    group.max = Math.max(group.max, group.now);
    res.on("close", () => (group.now -= 1));
    if (task.latencyMs > 0) await new Promise((r) => setTimeout(r, task.latencyMs));
    if (!step || "hang" in step) {
      hanging.add(res);
      return;
    }
    if ("reset" in step) return req.socket.destroy();
    if ("http" in step) {
      const body = typeof step.body === "string" ? step.body : JSON.stringify(step.body ?? {});
      res.writeHead(step.http, { "content-type": "application/json", ...step.headers });
      return res.end(body);
    }
    json(res, 200, {
      code: 0,
      message: "SUCCEED",
      request_id: `req-${task.polls}`,
      data: {
        task_id: taskId,
        task_status: step.status,
        task_status_msg: step.msg ?? "",
        task_info: {},
        task_result: step.result ?? {},
        created_at: task.createdAt,
        updated_at: task.createdAt + task.polls,
        ...step.extra,
      },
    });
  }

  async function serveHook(req: IncomingMessage, res: ServerResponse, name: string) {
    const receiver = receivers.get(name) ?? { steps: [], deliveries: [] };
    receivers.set(name, receiver);
    const body = await readBody(req);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string") headers[k] = v;
    const step = pick(receiver.steps, receiver.deliveries.length) ?? { status: 200 };
    receiver.deliveries.push({ headers, body, receivedAt: Date.now() });
    if (step.delayMs) await new Promise((r) => setTimeout(r, step.delayMs));
    res.writeHead(step.status, { "content-type": "text/plain", ...step.headers });
    res.end("ok");
  }

  async function serveControl(req: IncomingMessage, res: ServerResponse, parts: string[]) {
    const [, kind, id, sub] = parts;
    if (kind === "tasks" && id && req.method === "PUT") {
      const spec = JSON.parse(await readBody(req));
      tasks.set(id, { action: spec.action, action2: spec.action2, steps: spec.steps, group: spec.group, latencyMs: spec.latencyMs ?? 0, polls: 0, createdAt: Date.now() });
      return json(res, 204, {});
    }
    if (kind === "tasks" && id && sub === "polls") return json(res, 200, { polls: tasks.get(id)?.polls ?? 0 });
    if (kind === "groups" && id) return json(res, 200, { maxInFlight: inFlight.get(id)?.max ?? 0 });
    if (kind === "receivers" && id && req.method === "PUT") {
      const spec = JSON.parse(await readBody(req));
      receivers.set(id, { steps: spec.steps ?? [], deliveries: receivers.get(id)?.deliveries ?? [] });
      return json(res, 204, {});
    }
    if (kind === "receivers" && id) return json(res, 200, { deliveries: receivers.get(id)?.deliveries ?? [] });
    json(res, 404, { error: "unknown control route" });
  }

  const server: Server = createServer((req, res) => {
    const parts = new URL(req.url ?? "/", "http://fake").pathname.split("/").slice(1).map(decodeURIComponent);
    const route = parts[0] === "kling" ? serveUpstream(req, res, parts) : parts[0] === "hooks" ? serveHook(req, res, parts[1] ?? "") : parts[0] === "_fake" ? serveControl(req, res, parts) : Promise.resolve(json(res, 404, {}));
    route.catch((error) => json(res, 500, { error: String(error) }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of hanging) res.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
