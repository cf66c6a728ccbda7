/**
 * A simulator of Kling's task API as docs/upstream.md describes it, in three dialects on one
 * server: CometAPI's proxy (`/kling/v1/{action}/{action2}/{id}`: create and query, bearer key),
 * Kling's own legacy API (`/v1/{product path}/{id}`: API key or JWT, codes 1001-1004) and Kling's
 * new batch query (`/tasks?task_ids=a,b,c`: API key). The success envelopes, each product's result
 * shape, tasks that move `submitted` -> `processing` -> `succeed`/`failed` over time, and seeded
 * fault injection. Tests can also script a task poll by poll. Control routes live under `/_sim`.
 *
 * Creates in all three dialects (`POST /kling/v1/{action}/{action2}`, `POST /v1/{product path}`,
 * `POST /{product}/{model}`) record `callback_url` and `external_task_id`; a task created with a
 * callback URL is POSTed its state on every status change (kling-callbacks.ts). Creates can be
 * refused, answered late or never answered on demand (`PUT /_sim/creates`).
 *
 * Accounts: `options.apiKey` and the Kling credentials (`PUT /_sim/kling`) are the default account;
 * `PUT /_sim/accounts/{id}` adds others (a CometAPI key, Kling keys, a webhook secret). A task
 * belongs to the account whose credentials created it (every task made through `/_sim` to the
 * default one); another account's query or batch query answers it not found, as Kling does, and
 * its callbacks are signed with its own account's `webhook_secret`. `GET /_sim/stats` counts the
 * requests each account's credentials authenticated (`byAccount`).
 *
 * A finished task's files are served by the simulator itself at `{base URL}/media/{task id}/{file}`
 * (kling-media.ts; controls at `/_sim/media`): the loopback network tells it its base URL.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { isProductPath } from "../src/domain/kling.ts";
import type { UpstreamDialect, UpstreamStep, UpstreamTaskSpec } from "./fake-protocol.ts";
import { json, readBody } from "./http-helpers.ts";
import { checkKlingAuth, DEFAULT_KLING_CREDENTIALS, type KlingCredentials } from "./kling-auth.ts";
import { type CallbackConfig, checkSecret, createCallbackSender } from "./kling-callbacks.ts";
import { createMediaServer } from "./kling-media.ts";
import {
  LEGACY_PRODUCTS,
  NEW_API_PRODUCTS,
  outputsFor,
  splitProduct,
  taskInfoFor,
  taskResultFor,
  typicalDurations,
} from "./kling-results.ts";
import { between, seededRandom } from "./seeded-random.ts";
import { drawFault, type Faults, NO_FAULTS, stepKind } from "./simulated-faults.ts";

const DIALECTS: readonly UpstreamDialect[] = ["cometapi", "kling-legacy", "kling-new"];
/** The account of `options.apiKey` and the Kling credentials of `PUT /_sim/kling`: every task made through `/_sim` is its. */
export const DEFAULT_ACCOUNT = "default";

/**
 * `PUT /_sim/accounts/{id}`: another upstream account (as Kling keeps each customer's tasks apart).
 * Its keys find only the tasks it created; its callbacks are signed with its own `webhook_secret`.
 */
export interface SimAccount {
  /** The CometAPI key of this account. */
  cometapi_key?: string | null;
  /** Kling's own API: an API key, and/or an access/secret key pair (JWT). */
  kling_api_key?: string | null;
  access_key?: string | null;
  secret_key?: string | null;
  /** `whsec_...`: its Kling callbacks are signed with it; null: unsigned. */
  webhook_secret?: string | null;
}
/** The product a kling-new task's default outputs are shaped after (the new API is video only so far). */
const NEW_API_DEFAULT_PRODUCT = "videos/text2video";
/** How many batch requests `GET /_sim/batches` remembers. */
const BATCH_LOG_LIMIT = 500;
/** How long a create scripted `timeout` waits before it answers, unless told (ms). */
const CREATE_TIMEOUT_DEFAULT_MS = 60_000;
const CREATE_MODES = ["ok", "refuse", "timeout", "lost"] as const;
/** The base URL of output files until the simulator is told its own (`setBaseUrl`): nothing answers there. */
const UNKNOWN_BASE_URL = "https://cdn.sim.invalid";
const isHttpUrl = (url: string) => URL.canParse(url) && ["http:", "https:"].includes(new URL(url).protocol);
type CreateMode = (typeof CREATE_MODES)[number];

/** `PUT /_sim/creates`: what the next `remaining` creates (any dialect) do instead of answering at once. */
export interface CreateScript {
  mode: Exclude<CreateMode, "ok">;
  remaining: number;
  /** refuse: the answer's HTTP status, Kling code and message (default 400, 1301, "content policy violation"). */
  status: number;
  code: number;
  message: string;
  /** timeout: how long the answer waits (default 60000). */
  delayMs: number;
}

/** Creates by how they were answered; `invalid`: refused as Kling refuses bad parameters (400 code 1201). */
export type CreateCounts = Record<CreateMode | "invalid", number>;

interface Timeline {
  submittedMs: number;
  processingMs: number;
  outcome: "succeed" | "failed";
  failMessage: string;
}

interface SimTask {
  id: string;
  /** The account that created it (`DEFAULT_ACCOUNT` for tasks made through control routes): only its credentials find it. */
  account: string;
  /** Which API the task is found through; another dialect's query does not see it. */
  dialect: UpstreamDialect;
  /** cometapi: the pair; kling-legacy and kling-new: the product path's first segment and the rest. */
  action: string;
  action2: string;
  externalId: string;
  createdAt: number;
  timeline?: Timeline;
  steps?: UpstreamStep[];
  group: string;
  latencyMs: number;
  polls: number;
  finishedAt: number | null;
  /** What each poll of this task was answered, by kind (`status:processing`, `fault:http_503`, ...). */
  served?: Record<string, number>;
  /** Timeline tasks created with a callback URL: where, how many status changes were POSTed, the next one's timer. */
  callback?: { url: string; emitted: number; timer?: ReturnType<typeof setTimeout> };
}

/** What Kling's own API (legacy and new) accepts, and the batch query's id limit. */
export interface KlingConfig extends KlingCredentials {
  /** The most ids one `GET /tasks` may ask for (more answers 400 code 1201); null: no limit. */
  maxBatchIds: number | null;
}

/** One `GET /tasks` request, as `GET /_sim/batches` reports it. */
export interface BatchRecord {
  /** The ids (or external ids) asked for, in order. */
  ids: string[];
  /** The task ids the answer carried an entry for. */
  answered: string[];
  urlLength: number;
  status: number;
}

export interface BatchStats {
  /** Every request to `/tasks`, rejected ones included. */
  requests: number;
  /** Ids asked for, summed over requests (known or not). */
  idsRequested: number;
  unknownIds: number;
  maxIds: number;
  /** The longest request target (`/tasks?task_ids=...`) seen, in characters. */
  maxUrlLength: number;
  log: BatchRecord[];
}

export interface SimulatorOptions {
  /** The CometAPI key `/kling/v1/...` accepts. */
  apiKey: string;
  /** Kling's own API credentials and limits; defaults: DEFAULT_KLING_CREDENTIALS, no id limit. */
  kling?: Partial<KlingConfig>;
  /** Multiplies the typical durations (0.05 turns minutes into seconds). */
  timeScale?: number;
  seed?: number;
  now?: () => number;
  /**
   * The simulator's own URL (`http://127.0.0.1:{port}`), which output URLs start with; the loopback
   * network sets it once it listens (`setBaseUrl`). Default: an unreachable `https://cdn.sim.invalid`.
   */
  baseUrl?: string;
}

export interface SimulatorStats {
  polls: number;
  /** Requests to each dialect's routes, creates and queries (a batch request counts once). */
  requests: Record<UpstreamDialect, number>;
  served: Record<string, number>;
  faultsInjected: number;
  tasks: number;
  /** Requests each account's credentials authenticated (`default`: options.apiKey and the Kling credentials). */
  byAccount: Record<string, number>;
}

export function createKlingSimulator(options: SimulatorOptions) {
  // A simulation can pin the clock (PUT /_sim/clock) so that hours run in seconds.
  let pinnedNow: number | null = null;
  const now = () => pinnedNow ?? (options.now ?? Date.now)();
  const random = seededRandom(options.seed ?? 1);
  let baseUrl = options.baseUrl ?? UNKNOWN_BASE_URL;
  const media = createMediaServer();
  const tasks = new Map<string, SimTask>();
  const inFlight = new Map<string, { now: number; max: number }>();
  const hanging = new Set<ServerResponse>();
  const stats: SimulatorStats = {
    polls: 0,
    requests: { cometapi: 0, "kling-legacy": 0, "kling-new": 0 },
    served: {},
    faultsInjected: 0,
    tasks: 0,
    byAccount: {},
  };
  const accounts = new Map<string, SimAccount>();
  /** Counts a request authenticated as `account`, and names it. */
  const seen = (account: string) => {
    stats.byAccount[account] = (stats.byAccount[account] ?? 0) + 1;
    return account;
  };
  /** The account a CometAPI bearer token belongs to, or null. */
  function cometAccount(header: string | undefined): string | null {
    if (header === `Bearer ${options.apiKey}`) return seen(DEFAULT_ACCOUNT);
    for (const [id, a] of accounts) if (a.cometapi_key && header === `Bearer ${a.cometapi_key}`) return seen(id);
    return null;
  }
  /** Kling's check against the default credentials, then each other account's; the account it names when it passes. */
  function klingAccount(
    header: string | undefined,
    allowJwt: boolean,
  ): { ok: true; account: string } | { ok: false; code: number; message: string } {
    const at = Math.floor(now() / 1000);
    const first = checkKlingAuth(header, kling, at, allowJwt);
    if (first.ok) return { ok: true, account: seen(DEFAULT_ACCOUNT) };
    for (const [id, a] of accounts) {
      const credentials = { apiKey: a.kling_api_key ?? null, accessKey: a.access_key ?? null, secretKey: a.secret_key ?? null };
      if (checkKlingAuth(header, credentials, at, allowJwt).ok) return { ok: true, account: seen(id) };
    }
    return first;
  }
  const freshBatchStats = (): BatchStats => ({ requests: 0, idsRequested: 0, unknownIds: 0, maxIds: 0, maxUrlLength: 0, log: [] });
  let batches = freshBatchStats();
  let kling: KlingConfig = { ...DEFAULT_KLING_CREDENTIALS, maxBatchIds: null, ...options.kling };
  let faults: Faults = { ...NO_FAULTS };
  let sequence = 0;
  let stopped = false;
  const callbacks = createCallbackSender(random, now, options.now ?? Date.now);
  /** Tasks whose later status changes still have a callback to POST. */
  const awaitingCallbacks = new Set<SimTask>();
  const timers = new Set<ReturnType<typeof setTimeout>>();
  let createScript: CreateScript | null = null;
  const freshCreateCounts = (): Record<UpstreamDialect, CreateCounts> => {
    const zero = (): CreateCounts => ({ ok: 0, refuse: 0, timeout: 0, lost: 0, invalid: 0 });
    return { cometapi: zero(), "kling-legacy": zero(), "kling-new": zero() };
  };
  let createCounts = freshCreateCounts();

  const served = (what: string) => (stats.served[what] = (stats.served[what] ?? 0) + 1);
  const envelope = (data: unknown) => ({ code: 0, message: "SUCCEED", request_id: `sim-${++sequence}`, data });
  const klingError = (res: ServerResponse, status: number, code: number, message: string) =>
    json(res, status, { code, message, request_id: `sim-${++sequence}` });

  /** Where a task spec is queried: its dialect and (action, action2); a string says what is wrong. */
  function kindOf(spec: UpstreamTaskSpec): { dialect: UpstreamDialect; action: string; action2: string; externalId: string } | string {
    const dialect = spec.dialect ?? "cometapi";
    if (!DIALECTS.includes(dialect)) return `dialect must be one of ${DIALECTS.join(", ")}`;
    if (spec.callback_url !== undefined && (typeof spec.callback_url !== "string" || !isHttpUrl(spec.callback_url)))
      return "callback_url must be an http(s) URL";
    const externalId = spec.external_id ?? "";
    const pair = `${spec.action ?? "videos"}/${spec.action2 ?? "text2video"}`;
    if (dialect === "cometapi") return { dialect, action: spec.action ?? "videos", action2: spec.action2 ?? "text2video", externalId };
    const product = spec.product ?? (dialect === "kling-legacy" ? pair : NEW_API_DEFAULT_PRODUCT);
    if (dialect === "kling-legacy" && !LEGACY_PRODUCTS.includes(product))
      return `product must be one of Kling's legacy product paths (${LEGACY_PRODUCTS.join(", ")})`;
    return { dialect, ...splitProduct(product), externalId };
  }

  /** A task answering `spec.steps` poll after poll (tests and benchmarks script them). */
  const scriptedTask = (id: string, spec: UpstreamTaskSpec & { steps: UpstreamStep[] }): SimTask => {
    const kind = kindOf(spec);
    if (typeof kind === "string") throw new Error(kind); // the routes check kindOf first and answer 400
    return {
      id,
      account: DEFAULT_ACCOUNT,
      ...kind,
      createdAt: now(),
      steps: spec.steps,
      group: spec.group ?? "",
      latencyMs: spec.latencyMs ?? 0,
      polls: 0,
      finishedAt: null,
    };
  };

  function addTimelineTask(
    action: string,
    action2: string,
    hints: Partial<Timeline> & {
      pro?: boolean;
      id?: string;
      createdAt?: number;
      dialect?: UpstreamDialect;
      externalId?: string;
      callbackUrl?: string;
      account?: string;
    } = {},
  ): SimTask {
    const typical = typicalDurations(action, hints.pro ?? false);
    const scale = options.timeScale ?? 1;
    const task: SimTask = {
      id: hints.id ?? `${Date.now()}${String(++sequence).padStart(6, "0")}`,
      account: hints.account ?? DEFAULT_ACCOUNT,
      dialect: hints.dialect ?? "cometapi",
      externalId: hints.externalId ?? "",
      action,
      action2,
      createdAt: hints.createdAt ?? now(),
      timeline: {
        submittedMs: hints.submittedMs ?? between(random, typical.submitted) * scale,
        processingMs: hints.processingMs ?? between(random, typical.processing) * scale,
        outcome: hints.outcome ?? "succeed",
        failMessage: hints.failMessage ?? "Failure to pass the risk control system",
      },
      group: "",
      latencyMs: 0,
      polls: 0,
      finishedAt: null,
      ...(hints.callbackUrl ? { callback: { url: hints.callbackUrl, emitted: 0 } } : {}),
    };
    tasks.set(task.id, task);
    stats.tasks += 1;
    if (task.callback) advanceCallbacks(task);
    return task;
  }

  /**
   * The task's `data` object at this moment (timeline tasks), or while it is in `status` (a
   * callback's body: what a query answers during that status, whatever the clock says).
   */
  function dataOf(task: SimTask, timeline: Timeline, status: string = statusOf(task, timeline)): Record<string, unknown> {
    const processingAt = task.createdAt + timeline.submittedMs;
    const doneAt = processingAt + timeline.processingMs;
    if (status === timeline.outcome && task.finishedAt === null) task.finishedAt = doneAt;
    return {
      task_id: task.id,
      task_status: status,
      task_status_msg: status === "failed" ? timeline.failMessage : "",
      task_info: {
        ...(task.externalId ? { external_task_id: task.externalId } : {}),
        ...(status === "submitted" ? {} : taskInfoFor(task.action, task.action2, task.id, baseUrl)),
      },
      task_result: status === "succeed" ? taskResultFor(task.action, task.action2, task.id, baseUrl) : {},
      created_at: task.createdAt,
      updated_at: Math.round(status === "submitted" ? task.createdAt : status === "processing" ? processingAt : doneAt),
      ...(status === "succeed" ? { final_unit_deduction: "1" } : {}),
    };
  }

  /** A timeline's statuses in order, each with the moment it starts. */
  function phasesOf(task: SimTask, timeline: Timeline): { status: string; at: number }[] {
    const processingAt = task.createdAt + timeline.submittedMs;
    return [
      { status: "submitted", at: task.createdAt },
      { status: "processing", at: processingAt },
      { status: timeline.outcome, at: processingAt + timeline.processingMs },
    ];
  }

  /** The status a timeline task has now. */
  function statusOf(task: SimTask, timeline: Timeline): string {
    const at = now();
    return phasesOf(task, timeline).reduce((status, phase, index) => (index === 0 || phase.at <= at ? phase.status : status), "submitted");
  }

  /**
   * POSTs the callbacks of every status change the task has reached and not yet called back
   * (`submitted` always at once), in order; then, on the real clock, sets a timer for its next
   * change. With the clock pinned (`PUT /_sim/clock`) no timer is set: each move of the clock
   * calls this again for every task still awaiting a callback.
   */
  function advanceCallbacks(task: SimTask) {
    const callback = task.callback;
    const timeline = task.timeline;
    if (callback?.timer) {
      clearTimeout(callback.timer);
      timers.delete(callback.timer);
      callback.timer = undefined;
    }
    // A task replaced under its id (PUT /_sim/tasks) calls back no more.
    if (!callback || !timeline || stopped || tasks.get(task.id) !== task) return void awaitingCallbacks.delete(task);
    const phases = phasesOf(task, timeline);
    const at = now();
    while (callback.emitted < phases.length && (callback.emitted === 0 || phases[callback.emitted]!.at <= at)) {
      const { status } = phases[callback.emitted]!;
      const data = dataOf(task, timeline, status);
      callbacks.send({
        url: callback.url,
        task_id: task.id,
        dialect: task.dialect,
        status: task.dialect === "kling-new" && status === "succeed" ? "succeeded" : status,
        body: task.dialect === "kling-new" ? entryOf(task, { data }) : data,
        ...(task.account !== DEFAULT_ACCOUNT ? { secret: accounts.get(task.account)?.webhook_secret ?? null } : {}),
      });
      callback.emitted += 1;
    }
    if (callback.emitted >= phases.length) return void awaitingCallbacks.delete(task);
    awaitingCallbacks.add(task);
    if (pinnedNow !== null) return;
    const timer = setTimeout(
      () => {
        timers.delete(timer);
        callback.timer = undefined;
        advanceCallbacks(task);
      },
      Math.max(1, Math.ceil(phases[callback.emitted]!.at - at)),
    );
    callback.timer = timer;
    timers.add(timer);
  }

  /** Answers a fault step (`http`, `hang`, `reset`); false when the step is not one. */
  function answerFault(req: IncomingMessage, res: ServerResponse, step: UpstreamStep): boolean {
    if ("hang" in step) hanging.add(res);
    else if ("reset" in step) req.socket.destroy();
    else if ("http" in step) {
      const body = typeof step.body === "string" ? step.body : JSON.stringify(step.body ?? {});
      res.writeHead(step.http, { "content-type": "application/json", ...step.headers });
      res.end(body);
    } else return false;
    return true;
  }

  /** A single query's answer (cometapi, kling-legacy) to a scripted step or an injected fault. */
  function answer(req: IncomingMessage, res: ServerResponse, step: UpstreamStep, task: SimTask) {
    if (answerFault(req, res, step)) return;
    if ("omit" in step) return klingError(res, 404, 1203, "task not found");
    if (!("status" in step)) return;
    const legacy = task.dialect === "kling-legacy";
    json(
      res,
      200,
      envelope({
        task_id: task.id,
        task_status: step.status,
        task_status_msg: step.msg ?? "",
        task_info: legacy && task.externalId ? { external_task_id: task.externalId } : {},
        task_result: step.result ?? (legacy && step.status === "succeed" ? taskResultFor(task.action, task.action2, task.id, baseUrl) : {}),
        created_at: task.createdAt,
        updated_at: now(),
        ...step.extra,
      }),
    );
  }

  /** Counts a request in flight for `group` until `res` closes (`GET /_sim/groups/{group}`). */
  function enterGroup(group: string, res: ServerResponse) {
    const counter = inFlight.get(group) ?? { now: 0, max: 0 };
    inFlight.set(group, counter);
    counter.now += 1;
    counter.max = Math.max(counter.max, counter.now);
    res.on("close", () => (counter.now -= 1));
  }

  /**
   * Counts one poll of `task` and says what it is answered: its scripted step, a random fault
   * (when `drawFaults`; timeline tasks only), or its timeline's `data` now.
   */
  function pollOnce(task: SimTask, drawFaults: boolean): { step: UpstreamStep } | { data: Record<string, unknown> } {
    task.polls += 1;
    stats.polls += 1;
    if (task.steps) {
      const step = task.steps[Math.min(task.polls - 1, task.steps.length - 1)] ?? { hang: true };
      served("scripted");
      const kind = stepKind(step);
      task.served ??= {};
      task.served[kind] = (task.served[kind] ?? 0) + 1;
      return { step };
    }
    const fault = drawFaults ? drawFault(faults, random) : null;
    if (fault) {
      stats.faultsInjected += 1;
      served("fault");
      return { step: fault };
    }
    const data = dataOf(task, task.timeline!);
    served(String(data.task_status));
    return { data };
  }

  async function query(req: IncomingMessage, res: ServerResponse, task: SimTask) {
    enterGroup(task.group, res);
    const latency = task.latencyMs || faults.latencyMs;
    if (latency > 0) await new Promise((r) => setTimeout(r, latency));
    const polled = pollOnce(task, true);
    if ("step" in polled) return answer(req, res, polled.step, task);
    json(res, 200, envelope(polled.data));
  }

  /** A kling-new task's entry in a batch answer, for its step or its timeline's data. */
  function entryOf(task: SimTask, polled: { step: UpstreamStep } | { data: Record<string, unknown> }): Record<string, unknown> {
    const base = { id: task.id, external_id: task.externalId, billing: [] as unknown[] };
    if ("data" in polled) {
      const d = polled.data;
      const status = d.task_status === "succeed" ? "succeeded" : String(d.task_status);
      return {
        ...base,
        status,
        message: d.task_status_msg ?? "",
        create_time: d.created_at,
        update_time: d.updated_at,
        outputs: outputsFor(d.task_result as Record<string, unknown>),
      };
    }
    const step = polled.step as Extract<UpstreamStep, { status: string }>;
    return {
      ...base,
      status: step.status,
      message: step.msg ?? "",
      create_time: task.createdAt,
      update_time: now(),
      outputs: step.result ?? (step.status === "succeeded" ? outputsFor(taskResultFor(task.action, task.action2, task.id, baseUrl)) : []),
      ...step.extra,
    };
  }

  /** The kling-legacy task a query names: by task id, or by external task id, of that product. */
  function legacyTask(product: string, id: string, account: string): SimTask | undefined {
    const matches = (t: SimTask | undefined) =>
      t?.dialect === "kling-legacy" && t.account === account && `${t.action}/${t.action2}` === product;
    const byId = tasks.get(id);
    if (matches(byId)) return byId;
    for (const t of tasks.values()) if (matches(t) && t.externalId === id) return t;
    return undefined;
  }

  /** `GET /v1/{product path}/{id}`: Kling's legacy single query; `POST /v1/{product path}`: its create (API key or JWT). */
  async function serveLegacy(req: IncomingMessage, res: ServerResponse, parts: string[]) {
    stats.requests["kling-legacy"] += 1;
    const auth = klingAccount(req.headers.authorization, true);
    if (!auth.ok) {
      served("unauthorized");
      return klingError(res, 401, auth.code, auth.message);
    }
    const segments = parts.slice(1);
    if (LEGACY_PRODUCTS.includes(segments.join("/"))) {
      if (req.method === "POST") return create(req, res, "kling-legacy", splitProduct(segments.join("/")), legacyCreated, auth.account);
      return klingError(res, 404, 1203, "the list query is not simulated: ask for one task, /v1/{product path}/{id}");
    }
    const product = segments.slice(0, -1).join("/");
    if (!LEGACY_PRODUCTS.includes(product)) return klingError(res, 404, 1203, "resource not found");
    if (req.method !== "GET") return klingError(res, 404, 1202, "request method not simulated: create (POST /v1/{product path}) and query");
    const task = legacyTask(product, segments.at(-1)!, auth.account);
    if (!task) {
      stats.polls += 1;
      served("not_found");
      return klingError(res, 404, 1203, "task not found");
    }
    return query(req, res, task);
  }

  /** `GET /tasks?task_ids=a,b,c` (or `external_task_ids`): Kling's new batch query (API key only). */
  async function serveBatch(req: IncomingMessage, res: ServerResponse) {
    stats.requests["kling-new"] += 1;
    batches.requests += 1;
    const urlLength = (req.url ?? "").length;
    batches.maxUrlLength = Math.max(batches.maxUrlLength, urlLength);
    const record: BatchRecord = { ids: [], answered: [], urlLength, status: 0 };
    batches.log.push(record);
    if (batches.log.length > BATCH_LOG_LIMIT) batches.log.shift();
    res.on("finish", () => (record.status = res.statusCode));
    const auth = klingAccount(req.headers.authorization, false);
    if (!auth.ok) {
      served("unauthorized");
      return klingError(res, 401, auth.code, auth.message);
    }
    if (req.method !== "GET") return klingError(res, 404, 1202, "request method not simulated: the batch query (GET) only");
    const params = new URL(req.url ?? "/", "http://sim").searchParams;
    const byId = params.get("task_ids");
    const byExternal = params.get("external_task_ids");
    if ((byId === null) === (byExternal === null)) return klingError(res, 400, 1201, "give one of task_ids and external_task_ids");
    const ids = (byId ?? byExternal ?? "")
      .split(",")
      .map((id) => id.trim())
      .filter(Boolean);
    record.ids = ids;
    batches.idsRequested += ids.length;
    batches.maxIds = Math.max(batches.maxIds, ids.length);
    if (ids.length === 0) return klingError(res, 400, 1201, "no task ids");
    if (kling.maxBatchIds !== null && ids.length > kling.maxBatchIds)
      return klingError(res, 400, 1201, `too many task ids: at most ${kling.maxBatchIds}`);
    const found: SimTask[] = [];
    for (const id of ids) {
      const task =
        byId !== null
          ? tasks.get(id)
          : [...tasks.values()].find(
              (t) => t.dialect === "kling-new" && t.account === auth.account && t.externalId !== "" && t.externalId === id,
            );
      // Another account's task is not found, as Kling answers it.
      if (task?.dialect !== "kling-new" || task.account !== auth.account) {
        batches.unknownIds += 1;
        stats.polls += 1;
        served("not_found");
      } else if (!found.includes(task)) found.push(task);
    }
    for (const group of new Set(found.map((t) => t.group))) enterGroup(group, res);
    const latency = Math.max(0, ...found.map((t) => t.latencyMs)) || faults.latencyMs;
    if (latency > 0) await new Promise((r) => setTimeout(r, latency));
    const polled = found.map((task) => ({ task, polled: pollOnce(task, false) }));
    const fault = polled
      .map(({ polled: p }) => ("step" in p ? p.step : null))
      .find((step) => step !== null && ("http" in step || "hang" in step || "reset" in step));
    if (fault) return void answerFault(req, res, fault);
    // Random faults hit a request once, when a task in it runs on a timeline.
    const drawn = polled.some(({ polled: p }) => "data" in p) ? drawFault(faults, random) : null;
    if (drawn) {
      stats.faultsInjected += 1;
      served("fault");
      return void answerFault(req, res, drawn);
    }
    const entries = polled.filter(({ polled: p }) => !("step" in p && "omit" in p.step)).map(({ task, polled: p }) => entryOf(task, p));
    record.answered = entries.map((e) => String(e.id));
    json(res, 200, envelope(entries));
  }

  /** `x_sim` in a create body: the timeline hints a test may give (durations in ms, the outcome). */
  function timelineHints(value: unknown): Partial<Timeline> {
    if (!value || typeof value !== "object") return {};
    const hints = value as Record<string, unknown>;
    const duration = (v: unknown) => (typeof v === "number" && Number.isFinite(v) && v >= 0 ? v : undefined);
    const outcome = hints.outcome === "succeeded" ? "succeed" : hints.outcome;
    return {
      ...(duration(hints.submittedMs) !== undefined ? { submittedMs: duration(hints.submittedMs) } : {}),
      ...(duration(hints.processingMs) !== undefined ? { processingMs: duration(hints.processingMs) } : {}),
      ...(outcome === "succeed" || outcome === "failed" ? { outcome } : {}),
      ...(typeof hints.failMessage === "string" ? { failMessage: hints.failMessage } : {}),
    };
  }

  /** The next create's fault, if one is scripted (`PUT /_sim/creates`); counts it down. */
  function nextCreateMode(): CreateScript | null {
    const script = createScript;
    if (!script) return null;
    script.remaining -= 1;
    if (script.remaining <= 0) createScript = null;
    return script;
  }

  /**
   * A create in any dialect: reads the body, checks `callback_url` and `external_task_id` (the
   * new API's under `options`), refuses a duplicate external id of the dialect with 400 code
   * 1201, then plays the scripted fault if any: `refuse` creates nothing, `timeout` answers
   * late, `lost` never answers (the task exists all the same).
   */
  async function create(
    req: IncomingMessage,
    res: ServerResponse,
    dialect: UpstreamDialect,
    product: { action: string; action2: string },
    answer: (task: SimTask) => unknown,
    account: string,
  ) {
    const counts = createCounts[dialect];
    const invalid = (message: string) => {
      counts.invalid += 1;
      return klingError(res, 400, 1201, `invalid parameters: ${message}`);
    };
    let body: Record<string, unknown>;
    try {
      const parsed: unknown = JSON.parse((await readBody(req)) || "{}");
      if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) return invalid("the body is not a JSON object");
      body = parsed as Record<string, unknown>;
    } catch {
      return invalid("the body is not JSON");
    }
    const fields = (dialect === "kling-new" ? body.options : body) as Record<string, unknown> | undefined;
    const callbackUrl = fields?.callback_url ?? "";
    const externalId = fields?.external_task_id ?? "";
    const prefix = dialect === "kling-new" ? "options." : "";
    if (typeof callbackUrl !== "string" || (callbackUrl !== "" && !isHttpUrl(callbackUrl)))
      return invalid(`${prefix}callback_url must be an http(s) URL`);
    if (typeof externalId !== "string") return invalid(`${prefix}external_task_id must be a string`);
    if (externalId !== "")
      for (const t of tasks.values())
        if (t.dialect === dialect && t.account === account && t.externalId === externalId)
          return invalid(`${prefix}external_task_id ${externalId} already exists`);
    const script = nextCreateMode();
    if (script?.mode === "refuse") {
      counts.refuse += 1;
      return klingError(res, script.status, script.code, script.message);
    }
    const task = addTimelineTask(product.action, product.action2, {
      ...timelineHints(body.x_sim),
      pro: body.mode === "pro",
      dialect,
      externalId,
      account,
      ...(callbackUrl ? { callbackUrl } : {}),
    });
    const answered = envelope(answer(task));
    if (script?.mode === "lost") {
      counts.lost += 1;
      return void req.socket.destroy();
    }
    if (script?.mode === "timeout") {
      counts.timeout += 1;
      hanging.add(res);
      const timer = setTimeout(() => {
        timers.delete(timer);
        hanging.delete(res);
        if (!res.destroyed && !res.writableEnded) json(res, 200, answered);
      }, script.delayMs);
      timers.add(timer);
      // The client gave up first: nothing to answer.
      res.on("close", () => {
        clearTimeout(timer);
        timers.delete(timer);
        hanging.delete(res);
      });
      return;
    }
    counts.ok += 1;
    json(res, 200, answered);
  }

  /** The legacy create answer (CometAPI and Kling's legacy API). */
  const legacyCreated = (task: SimTask) => ({
    task_id: task.id,
    task_status: "submitted",
    task_info: { external_task_id: task.externalId },
    created_at: task.createdAt,
    updated_at: task.createdAt,
  });

  /** `POST /{product}/{model}`: the new API's create (API key only), for the products in NEW_API_PRODUCTS. */
  async function serveNewCreate(req: IncomingMessage, res: ServerResponse, parts: string[]) {
    const [product = "", model = ""] = parts;
    stats.requests["kling-new"] += 1;
    const auth = klingAccount(req.headers.authorization, false);
    if (!auth.ok) {
      served("unauthorized");
      return klingError(res, 401, auth.code, auth.message);
    }
    const shapedAs = NEW_API_PRODUCTS[product];
    if (!shapedAs) return klingError(res, 404, 1203, "resource not found");
    if (req.method !== "POST") return klingError(res, 404, 1202, "request method not simulated: create (POST) only");
    if (!/^kling-[a-z0-9.-]+$/i.test(model)) return klingError(res, 400, 1201, `invalid parameters: unknown model ${model}`);
    return create(
      req,
      res,
      "kling-new",
      splitProduct(shapedAs),
      (task) => ({
        id: task.id,
        status: "submitted",
        create_time: task.createdAt,
        update_time: task.createdAt,
        external_id: task.externalId,
      }),
      auth.account,
    );
  }

  /**
   * The cometapi task `GET /kling/v1/{action}/{action2}/{id}` names: by task id, or (a simulator
   * convenience: Kling's legacy API documents it, CometAPI does not) by external task id.
   */
  function cometTask(action: string, action2: string, id: string, account: string): SimTask | undefined {
    const matches = (t: SimTask | undefined) =>
      t?.dialect === "cometapi" && t.account === account && t.action === action && t.action2 === action2;
    const byId = tasks.get(id);
    if (matches(byId)) return byId;
    for (const t of tasks.values()) if (matches(t) && t.externalId !== "" && t.externalId === id) return t;
    return undefined;
  }

  /** Routes under `/kling/v1`: create (POST) and query (GET). */
  async function serveApi(req: IncomingMessage, res: ServerResponse, parts: string[]) {
    const [, , action = "", action2 = "", taskId] = parts;
    stats.requests.cometapi += 1;
    const account = cometAccount(req.headers.authorization);
    if (account === null) {
      served("unauthorized");
      return json(res, 401, { code: 1001, message: "Authorization is invalid", request_id: `sim-${++sequence}` });
    }
    if (!isProductPath("cometapi", action, action2))
      return json(res, 404, { error: { code: "", message: "Invalid URL (request id: sim)", type: "comet_api_error" } });
    if (req.method === "POST" && taskId === undefined) return create(req, res, "cometapi", { action, action2 }, legacyCreated, account);
    const task = taskId === undefined ? undefined : cometTask(action, action2, taskId, account);
    if (!task) {
      stats.polls += 1;
      served("not_found");
      return json(res, 404, { code: 1203, message: "task not found", request_id: `sim-${++sequence}` });
    }
    return query(req, res, task);
  }

  /** Control routes under `/_sim`. */
  async function serveControl(req: IncomingMessage, res: ServerResponse, parts: string[]) {
    const [, kind, id, sub] = parts;
    if (kind === "tasks" && id && req.method === "PUT") {
      const spec = JSON.parse(await readBody(req)) as UpstreamTaskSpec;
      const where = kindOf(spec);
      if (typeof where === "string") return json(res, 400, { error: where });
      const task = spec.steps
        ? scriptedTask(id, { ...spec, steps: spec.steps })
        : addTimelineTask(where.action, where.action2, {
            ...spec.timeline,
            id,
            dialect: where.dialect,
            externalId: where.externalId,
            ...(spec.callback_url ? { callbackUrl: spec.callback_url } : {}),
          });
      task.group = spec.group ?? "";
      tasks.set(id, task);
      return json(res, 200, { id });
    }
    if (kind === "tasks" && id && sub === "polls") return json(res, 200, { polls: tasks.get(id)?.polls ?? 0 });
    if (kind === "tasks" && id) {
      const task = tasks.get(id);
      return task
        ? json(res, 200, {
            id,
            dialect: task.dialect,
            account: task.account,
            polls: task.polls,
            finished_at: task.finishedAt,
            callback_url: task.callback?.url ?? null,
          })
        : json(res, 404, {});
    }
    if (kind === "accounts" && id) {
      // Another upstream account (PUT: its credentials and webhook secret; DELETE: gone), or what it holds (GET).
      if (id === DEFAULT_ACCOUNT) return json(res, 400, { error: "the default account is options.apiKey and PUT /_sim/kling" });
      if (req.method === "PUT") {
        const body = JSON.parse((await readBody(req)) || "{}") as SimAccount;
        const problem = checkSecret(body.webhook_secret ?? null);
        if (problem) return json(res, 400, { error: `webhook_secret: ${problem}` });
        accounts.set(id, body);
      } else if (req.method === "DELETE") accounts.delete(id);
      const owned = [...tasks.values()].filter((t) => t.account === id).map((t) => t.id);
      return json(res, 200, { id, configured: accounts.has(id), tasks: owned, requests: stats.byAccount[id] ?? 0 });
    }
    if (kind === "kling" && !id) {
      // Kling's own API: the credentials it accepts and the batch query's id limit.
      if (req.method === "PUT") {
        const body = JSON.parse((await readBody(req)) || "{}") as Partial<KlingConfig>;
        const fields = ["apiKey", "accessKey", "secretKey", "maxBatchIds"] as const;
        for (const field of fields) if (field in body) (kling as unknown as Record<string, unknown>)[field] = body[field] ?? null;
      }
      return json(res, 200, kling);
    }
    if (kind === "batches" && !id) {
      // What the new API's batch query was asked (DELETE starts the counts again).
      if (req.method === "DELETE") batches = freshBatchStats();
      return json(res, 200, batches);
    }
    if (kind === "bulk" && req.method === "PUT") {
      // Many scripted tasks at once (benchmarks): ids `${prefix}${1..count}`.
      const spec = JSON.parse(await readBody(req));
      if (typeof kindOf(spec) === "string") return json(res, 400, { error: kindOf(spec) });
      for (let n = 1; n <= spec.count; n++) {
        const id = `${spec.prefix}${n}`;
        tasks.set(id, scriptedTask(id, spec));
      }
      return json(res, 200, { count: spec.count });
    }
    if (kind === "scripts" && req.method === "PUT") {
      // Many scripted tasks, each with its own script (chaos runs).
      const spec = JSON.parse(await readBody(req)) as { tasks: (UpstreamTaskSpec & { id: string; steps: UpstreamStep[] })[] };
      for (const t of spec.tasks) if (typeof kindOf(t) === "string") return json(res, 400, { error: kindOf(t) });
      for (const t of spec.tasks) tasks.set(t.id, scriptedTask(t.id, t));
      return json(res, 200, { count: spec.tasks.length });
    }
    if (kind === "served" && req.method === "GET") {
      // What the tasks whose id starts with ?prefix were answered, summed by kind.
      const prefix = new URL(req.url ?? "/", "http://sim").searchParams.get("prefix") ?? "";
      const total: Record<string, number> = {};
      for (const task of tasks.values()) {
        if (!task.id.startsWith(prefix)) continue;
        for (const [k, n] of Object.entries(task.served ?? {})) total[k] = (total[k] ?? 0) + n;
      }
      return json(res, 200, total);
    }
    if (kind === "timelines" && req.method === "PUT") {
      // Tasks with their own creation times and durations (simulations).
      const spec = JSON.parse(await readBody(req)) as {
        tasks: { id: string; action: string; action2: string; createdAt: number; submittedMs: number; processingMs: number }[];
      };
      for (const t of spec.tasks) addTimelineTask(t.action, t.action2, { ...t, outcome: "succeed" });
      return json(res, 200, { count: spec.tasks.length });
    }
    if (kind === "clock" && req.method === "PUT") {
      pinnedNow = JSON.parse(await readBody(req)).now ?? null;
      // Status changes the move reached call back now; unpinned, timers take over again.
      for (const task of [...awaitingCallbacks]) advanceCallbacks(task);
      return json(res, 200, { now: now() });
    }
    if (kind === "creates" && !id) {
      // What the next creates do (PUT), and how creates were answered (GET; DELETE starts again).
      if (req.method === "PUT") {
        const body = JSON.parse((await readBody(req)) || "{}") as Record<string, unknown>;
        const mode = body.mode;
        if (!CREATE_MODES.includes(mode as CreateMode)) return json(res, 400, { error: `mode must be one of ${CREATE_MODES.join(", ")}` });
        const count = body.count ?? 1;
        if (!Number.isInteger(count) || (count as number) < 1) return json(res, 400, { error: "count must be a positive integer" });
        const delayMs = body.delayMs ?? CREATE_TIMEOUT_DEFAULT_MS;
        if (typeof delayMs !== "number" || !(delayMs >= 0)) return json(res, 400, { error: "delayMs must be a number >= 0" });
        const status = body.status ?? 400;
        if (!Number.isInteger(status) || (status as number) < 200 || (status as number) > 599)
          return json(res, 400, { error: "status must be an HTTP status" });
        createScript =
          mode === "ok"
            ? null
            : {
                mode: mode as CreateScript["mode"],
                remaining: count as number,
                status: status as number,
                code: typeof body.code === "number" ? body.code : 1301,
                message: typeof body.message === "string" ? body.message : "content policy violation",
                delayMs,
              };
      } else if (req.method === "DELETE") {
        createScript = null;
        createCounts = freshCreateCounts();
      }
      return json(res, 200, { counts: createCounts, script: createScript });
    }
    if (kind === "callbacks" && !id) {
      // How callbacks are sent (PUT: the fields given), what became of them (GET; DELETE starts the counts again).
      if (req.method === "PUT") {
        const body = JSON.parse((await readBody(req)) || "{}") as Partial<Record<keyof CallbackConfig, unknown>>;
        const next: Partial<CallbackConfig> = {};
        for (const field of ["secret", "previousSecret"] as const) {
          if (!(field in body)) continue;
          const value = body[field] ?? null;
          const problem = checkSecret(value);
          if (problem) return json(res, 400, { error: `${field}: ${problem}` });
          next[field] = value as string | null;
        }
        const number = (field: "delayMs" | "lossRate" | "timestampSkewS", ok: (n: number) => boolean) => {
          if (!(field in body)) return true;
          const value = body[field];
          if (typeof value !== "number" || !Number.isFinite(value) || !ok(value)) return false;
          next[field] = value;
          return true;
        };
        if (!number("delayMs", (n) => n >= 0)) return json(res, 400, { error: "delayMs must be a number >= 0" });
        if (!number("lossRate", (n) => n >= 0 && n <= 1)) return json(res, 400, { error: "lossRate must be between 0 and 1" });
        if (!number("timestampSkewS", () => true)) return json(res, 400, { error: "timestampSkewS must be a number" });
        callbacks.configure(next);
      } else if (req.method === "DELETE") callbacks.reset();
      return json(res, 200, { ...callbacks.stats(), config: callbacks.config() });
    }
    if (kind === "groups" && id) return json(res, 200, { maxInFlight: inFlight.get(id)?.max ?? 0 });
    if (kind === "faults" && req.method === "PUT") {
      faults = { ...NO_FAULTS, ...JSON.parse(await readBody(req)) };
      return json(res, 200, faults);
    }
    if (kind === "stats") return json(res, 200, stats);
    if (kind === "media") return media.serveControl(req, res, parts.slice(2));
    return undefined;
  }

  function releaseHanging() {
    for (const res of hanging) res.destroy();
    hanging.clear();
  }

  return {
    now,
    /** The URL output files start with (`{base}/media/{task id}/{file}`). */
    baseUrl: () => baseUrl,
    /** Tells the simulator its own URL, once its server listens (no trailing slash). */
    setBaseUrl: (url: string) => (baseUrl = url.replace(/\/+$/, "")),
    /** The output files: `serve` answers `/media/...` (`parts`: the path after `/media`); controls as `/_sim/media`. */
    media,
    serveApi,
    serveNewCreate,
    serveLegacy,
    serveBatch,
    serveControl,
    /** Kling's own API: the credentials accepted and the batch id limit (as `PUT /_sim/kling`). */
    setKling: (next: Partial<KlingConfig>) => (kling = { ...kling, ...next }),
    kling: () => kling,
    batches: () => batches,
    addTimelineTask,
    dataOf,
    setFaults: (next: Partial<Faults>) => (faults = { ...NO_FAULTS, ...next }),
    stats: () => stats,
    task: (id: string) => tasks.get(id),
    releaseHanging,
    /** Callbacks: their config and counts (as `PUT` / `GET /_sim/callbacks`). */
    callbacks,
    /**
     * Ends everything the simulator started: status-change timers, late create answers, callback
     * delays and callbacks in flight, hanging answers, media streams. Nothing is sent afterwards.
     */
    stop: () => {
      stopped = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      awaitingCallbacks.clear();
      callbacks.stop();
      media.stop();
      releaseHanging();
    },
  };
}

export type KlingSimulator = ReturnType<typeof createKlingSimulator>;
