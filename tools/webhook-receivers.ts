/**
 * Webhook receivers on loopback: each records what it received and answers a script of statuses
 * (default 200). A receiver given a secret verifies every delivery with the independent
 * `standardwebhooks` library and answers 401 to a bad signature, as a real consumer would.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { Webhook } from "standardwebhooks";
import type { ReceiverStep } from "./fake-protocol.ts";
import { json, readBody } from "./http-helpers.ts";

export interface ReceivedWebhook {
  headers: Record<string, string>;
  body: string;
  receivedAt: number;
  /** null when the receiver verifies nothing. */
  verified: boolean | null;
  /** The status this receiver answered. */
  answered: number;
}

interface Receiver {
  steps: ReceiverStep[];
  deliveries: ReceivedWebhook[];
  verifier: Webhook | null;
}

/** `now` stamps arrivals: the simulator's clock, so simulated time measures delivery delays. */
export function createWebhookReceivers(now: () => number = Date.now) {
  const receivers = new Map<string, Receiver>();

  const get = (name: string) => {
    let receiver = receivers.get(name);
    if (!receiver) {
      receiver = { steps: [], deliveries: [], verifier: null };
      receivers.set(name, receiver);
    }
    return receiver;
  };

  function configure(name: string, spec: { steps?: ReceiverStep[]; secret?: string }) {
    const receiver = get(name);
    receiver.steps = spec.steps ?? [];
    receiver.verifier = spec.secret ? new Webhook(spec.secret) : null;
  }

  async function serveHook(req: IncomingMessage, res: ServerResponse, name: string) {
    const receiver = get(name);
    const body = await readBody(req);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string") headers[k] = v;
    let verified: boolean | null = null;
    if (receiver.verifier) {
      try {
        receiver.verifier.verify(body, headers);
        verified = true;
      } catch {
        verified = false;
      }
    }
    const step = receiver.steps[Math.min(receiver.deliveries.length, receiver.steps.length - 1)] ?? { status: 200 };
    receiver.deliveries.push({ headers, body, receivedAt: now(), verified, answered: verified === false ? 401 : step.status });
    if (verified === false) return json(res, 401, { error: "bad signature" });
    if (step.delayMs) await new Promise((r) => setTimeout(r, step.delayMs));
    if (res.destroyed) return;
    res.writeHead(step.status, { "content-type": "text/plain", ...step.headers });
    if (step.body !== undefined) return void res.end(step.body);
    if (step.trickleMs) {
      res.write("o");
      await new Promise((r) => setTimeout(r, step.trickleMs));
    }
    if (!res.destroyed) res.end("k");
  }

  async function serveControl(req: IncomingMessage, res: ServerResponse, name: string) {
    if (req.method === "PUT") {
      configure(name, JSON.parse(await readBody(req)));
      return json(res, 200, { name });
    }
    return json(res, 200, { deliveries: get(name).deliveries });
  }

  return { serveHook, serveControl, configure, deliveries: (name: string) => get(name).deliveries, names: () => [...receivers.keys()] };
}

export type WebhookReceivers = ReturnType<typeof createWebhookReceivers>;
