/**
 * The simulator's side of Kling's callbacks (docs/upstream.md, "Callbacks from Kling"): a POST of
 * the task's current state to the `callback_url` it was created with, on every status change.
 * Kling-dialect callbacks are signed with Standard Webhooks when a `whsec_` secret is configured
 * (two signatures during a rotation); CometAPI's are never signed. Nothing is retried: a callback
 * that fails (network error, timeout, non-2xx) or is drawn lost never comes again.
 */
import { createHmac } from "node:crypto";
import { type ClientRequest, request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import type { UpstreamDialect } from "./fake-protocol.ts";

/** How long one callback POST may take, answer included (then it counts as failed). */
export const CALLBACK_TIMEOUT_MS = 10_000;
/** How many callbacks `GET /_sim/callbacks` remembers. */
const CALLBACK_LOG_LIMIT = 1000;

/** `PUT /_sim/callbacks`: the fields given are set, the others kept. */
export interface CallbackConfig {
  /** `whsec_...`: Kling-dialect callbacks are signed with it; null: unsigned (an account without a secret). */
  secret: string | null;
  /** Also signs, as during a rotation: `webhook-signature` carries two space-separated signatures. */
  previousSecret: string | null;
  /** Waited before each send (ms). */
  delayMs: number;
  /** 0..1: the share of callbacks not sent at all (counted `lost`), drawn from the simulator's seeded random. */
  lossRate: number;
  /** Added to `webhook-timestamp` (seconds), to make stale or future signatures. */
  timestampSkewS: number;
}

export const DEFAULT_CALLBACK_CONFIG: CallbackConfig = { secret: null, previousSecret: null, delayMs: 0, lossRate: 0, timestampSkewS: 0 };

/** One callback, as `GET /_sim/callbacks` lists it. */
export interface CallbackRecord {
  task_id: string;
  status: string;
  dialect: UpstreamDialect;
  /** The receiver's answer; null when lost or when no answer came (network error, timeout). */
  http_status: number | null;
  /** `sent` (2xx), `failed` (anything else), `lost` (never sent). */
  outcome: "sent" | "failed" | "lost";
  /** When it was sent (or drawn lost), on the simulator's clock (ms). */
  at: number;
  signed: boolean;
  /** Why it failed, when it did without an answer. */
  error?: string;
}

export interface CallbackStats {
  /** Delivered: the receiver answered 2xx. */
  sent: number;
  lost: number;
  /** Network error, timeout or non-2xx: not retried. */
  failed: number;
  /** Status changes waiting for their delay or their answer. */
  pending: number;
  log: CallbackRecord[];
}

const secretKey = (secret: string) => Buffer.from(secret.slice("whsec_".length), "base64");

/** Checks a `whsec_` secret; a string says what is wrong. */
export function checkSecret(secret: unknown): string | null {
  if (secret === null) return null;
  if (typeof secret !== "string" || !secret.startsWith("whsec_")) return "a secret is a string starting with whsec_ (or null)";
  if (!/^[A-Za-z0-9+/]+=*$/.test(secret.slice(6)) || secretKey(secret).length === 0)
    return "a secret is whsec_ followed by its key in base64";
  return null;
}

/** Standard Webhooks: `v1,` + base64(HMAC-SHA256(base64-decoded key, "{id}.{timestamp}.{body}")). */
export function signStandardWebhook(secret: string, id: string, timestampS: number, body: string): string {
  return `v1,${createHmac("sha256", secretKey(secret)).update(`${id}.${timestampS}.${body}`).digest("base64")}`;
}

/**
 * POSTs `body` and resolves to the answer's status once its body is read; rejects on a network
 * error or after `timeoutMs`. The request sits in `inFlight` until it closes (stop destroys it).
 */
function post(
  url: string,
  body: string,
  headers: Record<string, string>,
  timeoutMs: number,
  inFlight: Set<ClientRequest>,
): Promise<number> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const send = target.protocol === "https:" ? httpsRequest : httpRequest;
    // agent: false: one connection per callback, closed after it; nothing idles once the simulator stops.
    const req = send(target, {
      method: "POST",
      agent: false,
      headers: { "content-type": "application/json", "content-length": String(Buffer.byteLength(body)), ...headers },
    });
    const timer = setTimeout(() => req.destroy(new Error(`no answer within ${timeoutMs / 1000} s`)), timeoutMs);
    inFlight.add(req);
    let settled = false;
    let answered = false;
    const settle = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      inFlight.delete(req);
      outcome();
    };
    const fail = (error: Error) => settle(() => reject(error));
    req.on("error", fail);
    req.on("close", () => answered || fail(new Error("the connection closed without an answer")));
    req.on("response", (res) => {
      answered = true;
      res.on("error", fail);
      res.on("end", () => settle(() => resolve(res.statusCode ?? 0)));
      res.on("close", () => fail(new Error("the answer was cut off")));
      res.resume();
    });
    req.end(body);
  });
}

/** One callback to send: the task's state at a status change. */
export interface CallbackMessage {
  url: string;
  task_id: string;
  dialect: UpstreamDialect;
  status: string;
  /** The exact JSON object Kling would POST. */
  body: unknown;
  /**
   * The owning account's own `whsec_` secret (an account other than the default one, with a
   * secret): signs instead of the configured ones. Undefined: the configured ones.
   */
  secret?: string | null;
}

/**
 * Sends callbacks in order per task (each after the previous one of that task settled), with the
 * configured delay, loss and signing. `now` stamps the log (the simulator's clock); `wallClock`
 * makes `webhook-timestamp` (receivers check it against their real clock, so it is not pinned).
 */
export function createCallbackSender(random: () => number, now: () => number, wallClock: () => number) {
  let config: CallbackConfig = { ...DEFAULT_CALLBACK_CONFIG };
  const fresh = (): Omit<CallbackStats, "pending"> => ({ sent: 0, lost: 0, failed: 0, log: [] });
  let stats = fresh();
  let pending = 0;
  let sequence = 0;
  let stopped = false;
  /** The delays running, each with what ends it early. */
  const delays = new Map<ReturnType<typeof setTimeout>, () => void>();
  const inFlight = new Set<ClientRequest>();
  const chains = new Map<string, Promise<void>>();

  const record = (entry: CallbackRecord) => {
    stats.log.push(entry);
    if (stats.log.length > CALLBACK_LOG_LIMIT) stats.log.shift();
    if (entry.outcome === "sent") stats.sent += 1;
    else if (entry.outcome === "lost") stats.lost += 1;
    else stats.failed += 1;
  };

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        delays.delete(timer);
        resolve();
      }, ms);
      delays.set(timer, resolve);
    });

  async function deliver(message: CallbackMessage) {
    if (stopped) return;
    const text = JSON.stringify(message.body);
    const headers: Record<string, string> = {};
    const configured = message.secret !== undefined ? [message.secret] : [config.secret, config.previousSecret];
    const secrets = message.dialect === "cometapi" ? [] : configured.filter((s): s is string => s !== null);
    if (secrets.length > 0) {
      const id = `msg_sim_${++sequence}`;
      const timestamp = Math.floor(wallClock() / 1000) + config.timestampSkewS;
      headers["webhook-id"] = id;
      headers["webhook-timestamp"] = String(timestamp);
      headers["webhook-signature"] = secrets.map((s) => signStandardWebhook(s, id, timestamp, text)).join(" ");
    }
    const base = { task_id: message.task_id, status: message.status, dialect: message.dialect, at: now(), signed: secrets.length > 0 };
    try {
      const status = await post(message.url, text, headers, CALLBACK_TIMEOUT_MS, inFlight);
      if (stopped) return;
      record({ ...base, http_status: status, outcome: status >= 200 && status < 300 ? "sent" : "failed" });
    } catch (error) {
      if (stopped) return;
      record({ ...base, http_status: null, outcome: "failed", error: error instanceof Error ? error.message : String(error) });
    }
  }

  /**
   * A status change: lost (drawn now), or sent once `delayMs` passed since the change and the
   * task's previous callback settled (so one task's callbacks arrive in order).
   */
  function send(message: CallbackMessage) {
    if (stopped) return;
    if (config.lossRate > 0 && (config.lossRate >= 1 || random() < config.lossRate)) {
      const at = now();
      return record({
        task_id: message.task_id,
        status: message.status,
        dialect: message.dialect,
        http_status: null,
        outcome: "lost",
        at,
        signed: false,
      });
    }
    pending += 1;
    const previous = chains.get(message.task_id) ?? Promise.resolve();
    const delayed = config.delayMs > 0 ? sleep(config.delayMs) : Promise.resolve();
    const next = Promise.all([previous, delayed])
      .then(() => deliver(message))
      .finally(() => {
        pending -= 1;
        if (chains.get(message.task_id) === next) chains.delete(message.task_id);
      });
    chains.set(message.task_id, next);
  }

  return {
    send,
    config: () => config,
    configure: (next: Partial<CallbackConfig>) => (config = { ...config, ...next }),
    stats: (): CallbackStats => ({ ...stats, pending }),
    /** Starts the counts and the log again (callbacks still in flight are counted in the new ones). */
    reset: () => (stats = fresh()),
    /** Ends every delay and callback in flight; nothing is sent or counted afterwards. */
    stop: () => {
      stopped = true;
      for (const [timer, end] of delays) {
        clearTimeout(timer);
        end();
      }
      delays.clear();
      for (const req of inFlight) req.destroy();
      inFlight.clear();
    },
  };
}

export type CallbackSender = ReturnType<typeof createCallbackSender>;
