/**
 * The soak: the relay under the real clock. The Kling simulator (with upstream faults injected)
 * and webhook receivers (some failing a few times) on loopback, the relay under the real
 * `wrangler dev` with its default tick budgets, thousands of tasks registered in batches over
 * minutes, and the cron fired every few seconds without waiting, so that ticks overlap as they
 * would when a tick runs long. It keeps firing after the last registration until every expected
 * final webhook arrived (or a bounded drain deadline passes), then waits for every fired tick.
 *
 * Used by `npm run soak` (test/soak/full-soak.ts: 2,000 tasks over 10 minutes) and by the
 * one-minute version inside `npm test` (test/soak/one-minute.soak.ts). Every wait is bounded by
 * count and time, and the whole run has its own deadline: a tick that never ends is reported as
 * "tick N still running after X s (wall budget Y s)" and stops the run, it does not hang it.
 */
import { randomBytes } from "node:crypto";
import { ACTION_PAIR_LIST } from "../../src/domain/kling";
import { CONSUMER_WORK_MS } from "../../src/work/leases";
import { fetchText } from "../../tools/http-helpers";
import { DEFAULT_KLING_CREDENTIALS } from "../../tools/kling-auth";
import { type LoopbackNetwork, startLoopbackNetwork } from "../../tools/loopback-network";
import type { TaskView } from "../../tools/relay-client";
import { createSimulatedTask } from "../../tools/relay-stack";
import { seededRandom } from "../../tools/seeded-random";
import type { Faults } from "../../tools/simulated-faults";
import { startWranglerDev, type WranglerDev } from "../../tools/wrangler-dev";

/** The relay's defaults (src/config.ts) that the soak's limits are computed from. */
const DEFAULT_WALL_SECONDS = 58;
const DEFAULT_UPSTREAM_TIMEOUT_SECONDS = 15;
/** The REGISTRATION_LIMITER binding in wrangler.toml: 120 registrations a minute per API key. */
const REGISTRATIONS_PER_KEY_PER_MINUTE = 120;

const PAIRS = ACTION_PAIR_LIST;
/** Any one API call or simulator call of the soak's own. */
const REQUEST_TIMEOUT_MS = 30_000;
const HEALTHY_RECEIVERS = ["app-0", "app-1", "app-2", "app-3"];

export interface SoakOptions {
  /** Name shown in progress lines and the table title. */
  name: string;
  /** Registrations are spread over this many minutes. */
  minutes: number;
  tasks: number;
  /** The cron is fired this often, without waiting for the previous tick. */
  tickEverySeconds: number;
  /** One batch of registrations this often. */
  batchEverySeconds: number;
  /** TICK_WALL_BUDGET_SECONDS; undefined leaves the relay's default (58). */
  wallSeconds?: number;
  /** Simulated task durations (KLING.md's typical ones) times this. */
  timeScale: number;
  /** After the last registration, at most this long to wait for every expected webhook. */
  drainSeconds: number;
  /**
   * The whole run stops (and fails) past this many seconds. Default: 90 s to start, the
   * registration minutes, the drain, one tick limit and 90 s for the rest.
   */
  deadlineSeconds?: number;
  /** A tick may run up to wall budget + one upstream timeout + this. */
  marginSeconds: number;
  /** Share of tasks that end `failed` upstream, of tasks with a second subscriber, of subscriptions to a failing receiver. */
  failedShare: number;
  twoSubscriberShare: number;
  flakyShare: number;
  faults: Partial<Faults>;
  /**
   * D1_FAULT_RATE: this share of the relay's D1 round trips fail on purpose (0: none). API calls
   * answered 503 `storage_unavailable` are retried after `Retry-After`, as a client would.
   */
  d1FaultRate?: number;
  /** Retries of a webhook: short, so that a receiver failing a few times recovers within the run. */
  deliveryRetrySchedule: string;
  seed: number;
  /** Progress lines (every `progressEverySeconds`), and the final table. */
  say: (line: string) => void;
  progressEverySeconds: number;
  /** Print the relay's own output as it comes (debugging). */
  echoRelay?: boolean;
  /**
   * Run wrangler.toml's `[env.queues]`: the tick claims due work and sends the ids to Queues, whose
   * consumers (this Worker's `queue` handler, run by miniflare) poll and deliver, each batch with
   * its own subrequest budget. Their `queue_batch` log lines are read as the ticks' are.
   */
  queues?: boolean;
  /**
   * This share of the tasks (0-1) are Kling new-API tasks (provider `kling`, no action pair),
   * polled `KLING_BATCH_SIZE` per `GET /tasks?task_ids=`; the others go through CometAPI, one poll
   * a request, over all eleven action pairs. Default 0.
   */
  newApiShare?: number;
  /** Aborting it stops the run (Ctrl-C): what was started is stopped, the figures so far returned. */
  signal?: AbortSignal;
}

export const FULL_SOAK: Omit<SoakOptions, "say"> = {
  name: "soak",
  minutes: 10,
  tasks: 2000,
  tickEverySeconds: 5,
  batchEverySeconds: 5,
  wallSeconds: undefined,
  timeScale: 0.2,
  drainSeconds: 600,
  marginSeconds: 5,
  failedShare: 0.1,
  twoSubscriberShare: 0.25,
  flakyShare: 0.08,
  // Moderate: about 1 poll in 14 meets a fault; one in 100 hangs until the 15 s timeout.
  faults: { latencyMs: 120, rate429: 0.03, retryAfterSeconds: 3, rate5xx: 0.03, rateTimeout: 0.01, rateReset: 0.005 },
  deliveryRetrySchedule: "2,4,8,15,30,60",
  // D1 fails too, as it does in production now and then: 2 % of the relay's round trips.
  d1FaultRate: 0.02,
  seed: 2027,
  progressEverySeconds: 30,
};

/** `npm run soak`'s options: the full soak, with SOAK_* env vars over the defaults. */
export function soakOptionsFromEnv(env: NodeJS.ProcessEnv, say: (line: string) => void): SoakOptions {
  const num = (name: string, fallback: number) => {
    const raw = env[name]?.trim();
    if (raw === undefined || raw === "") return fallback;
    const value = Number(raw);
    if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number, got ${JSON.stringify(raw)}`);
    return value;
  };
  const share = (name: string, fallback: number) => {
    const raw = env[name]?.trim();
    if (raw === undefined || raw === "") return fallback;
    const value = Number(raw);
    if (!(value >= 0 && value <= 1)) throw new Error(`${name} must be a share from 0 to 1, got ${JSON.stringify(raw)}`);
    return value;
  };
  const on = (name: string) => env[name]?.trim() === "1";
  const wall = env.SOAK_WALL_SECONDS?.trim();
  return {
    ...FULL_SOAK,
    minutes: num("SOAK_MINUTES", FULL_SOAK.minutes),
    tasks: Math.round(num("SOAK_TASKS", FULL_SOAK.tasks)),
    tickEverySeconds: num("SOAK_TICK_EVERY_SECONDS", FULL_SOAK.tickEverySeconds),
    batchEverySeconds: num("SOAK_BATCH_EVERY_SECONDS", FULL_SOAK.batchEverySeconds),
    wallSeconds: wall ? num("SOAK_WALL_SECONDS", DEFAULT_WALL_SECONDS) : undefined,
    timeScale: num("SOAK_TIME_SCALE", FULL_SOAK.timeScale),
    drainSeconds: num("SOAK_DRAIN_SECONDS", FULL_SOAK.drainSeconds),
    marginSeconds: num("SOAK_MARGIN_SECONDS", FULL_SOAK.marginSeconds),
    seed: Math.round(num("SOAK_SEED", FULL_SOAK.seed)),
    d1FaultRate: env.SOAK_D1_FAULT_RATE?.trim() === "0" ? 0 : num("SOAK_D1_FAULT_RATE", FULL_SOAK.d1FaultRate ?? 0.02),
    ...(env.SOAK_DEADLINE_SECONDS?.trim() ? { deadlineSeconds: num("SOAK_DEADLINE_SECONDS", 0) } : {}),
    newApiShare: share("SOAK_NEW_API_SHARE", 0),
    queues: on("SOAK_QUEUES"),
    echoRelay: on("SOAK_ECHO_RELAY"),
    say,
  };
}

/** One tick's log line (src/tick/run-tick.ts), as far as the soak reads it. */
interface TickLine {
  endReason?: string;
  durationMs: number;
  rounds: number;
  polled: number;
  delivered: number;
  retried: number;
  subrequestsLeft: number;
  configurationError: string | null;
  upstreamErrors: Record<string, number>;
  d1: { queries: number; rowsRead: number; rowsWritten: number };
}

/** One queue consumer invocation's log line (src/queue/consume-batch.ts), as far as the soak reads it. */
interface QueueBatchLine {
  queue: string;
  messages: number;
  durationMs: number;
  polled: number;
  delivered: number;
  subrequestsLeft: number;
  configurationError: string | null;
  upstreamErrors: Record<string, number>;
  d1: { queries: number };
}

interface FiredTick {
  n: number;
  firedAt: number;
  endedAt: number | null;
  status: number | null;
  error: string | null;
  controller: AbortController;
}

interface ExpectedWebhook {
  subscriptionId: string;
  taskId: string;
  receiver: string;
  type: "task.succeeded" | "task.failed";
  /** When the task finished upstream (ms since epoch), from the simulator's timeline. */
  finishesAt: number;
}

export interface SoakFigures {
  name: string;
  /** Why the run stopped before its end (a tick past its limit, the deadline, Ctrl-C), or null. */
  stoppedEarly: string | null;
  /** Registrations spread over this many minutes; `seconds` is the whole run. */
  minutes: number;
  seconds: number;
  tasks: number;
  subscriptions: number;
  apiKeys: number;
  registrationsRateLimited: number;
  registrationFailures: number;
  wallSeconds: number;
  limitSeconds: number;
  subrequestBudget: string;
  ticksFired: number;
  ticksReturned: number;
  ticksLogged: number;
  maxTicksInFlight: number;
  tickSecondsMax: number;
  tickSecondsP50: number;
  /** The longest fire-to-return time seen by the soak (includes wrangler dev's routing). */
  tickRequestSecondsMax: number;
  d1RoundTripsP50: number;
  d1RoundTripsMax: number;
  roundsP50: number;
  roundsMax: number;
  ticksOutOfBudget: number;
  endReasons: Record<string, number>;
  /** `queues` (wrangler.toml's [env.queues]) or `default` (the tick does all the work). */
  mode: "default" | "queues";
  /** Tasks of Kling's new API among `tasks` (the rest through CometAPI). */
  newApiTasks: number;
  /** Queue mode: consumer invocations that logged their line, and those a failure made Queues retry. */
  consumerBatches: number;
  consumerBatchesRetried: number;
  /** Of those, the ones a D1 fault ended (their storage_unavailable line). */
  consumerBatchesEndedByStorage: number;
  consumerSecondsMax: number;
  consumerSecondsP50: number;
  consumerD1RoundTripsP50: number;
  consumerD1RoundTripsMax: number;
  consumerPolled: number;
  consumerDelivered: number;
  /** Requests the simulator answered for CometAPI (creates too) and Kling's new API (one per batch query). */
  upstreamRequests: number;
  upstreamPolls: number;
  upstreamFaults: number;
  upstreamErrorsSeen: Record<string, number>;
  webhooksExpected: number;
  webhooksReceived: number;
  webhooksVerified: number;
  webhooksAccepted: number;
  receiverFailuresAnswered: number;
  duplicates: number;
  /** D1_FAULT_RATE runs: ticks a D1 fault ended, and API calls retried after 503 storage_unavailable. */
  ticksEndedByStorage: number;
  storageRetries: number;
  lost: number;
  delayP50: number;
  delayP95: number;
  delayMax: number;
  tasksNotFinished: number;
  subscriptionsNotDelivered: number;
  drainSeconds: number;
}

export interface SoakResult {
  figures: SoakFigures;
  /** Every way the run failed its promises; empty means it passed. */
  problems: string[];
  /** The figures as a markdown table. */
  table: string;
  /** One line of figures, for the README. */
  figuresLine: string;
}

/** One API call with a timeout: no wait in the soak is unbounded. */
async function api<T>(baseUrl: string, key: string, method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  const text = await res.text();
  if (!res.ok)
    throw new ApiAnswer(res.status, Number(res.headers.get("retry-after") ?? 0), `${method} ${path} answered ${res.status}: ${text}`);
  return JSON.parse(text) as T;
}

class ApiAnswer extends Error {
  constructor(
    readonly status: number,
    readonly retryAfterSeconds: number,
    message: string,
  ) {
    super(message);
  }
}

/** Calls made again after a 503 `storage_unavailable` (D1_FAULT_RATE), as any client of the relay would. */
const storageRetries = { count: 0 };

/** `api`, retried (at most 5 times, after `Retry-After`) while D1 is unavailable: the relay says it is safe. */
async function apiRetrying<T>(baseUrl: string, key: string, method: string, path: string, body?: unknown): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await api<T>(baseUrl, key, method, path, body);
    } catch (error) {
      if (!(error instanceof ApiAnswer) || error.status !== 503 || attempt >= 5) throw error;
      storageRetries.count += 1;
      await sleep(Math.max(1, error.retryAfterSeconds) * 1000);
    }
  }
}

/**
 * A task of Kling's new API on the simulator's default account (the relay's KLING_API_KEY), its
 * durations the simulator's typical ones times the run's scale, as for the CometAPI tasks.
 */
async function createNewApiTask(simulatorUrl: string, taskId: string, outcome: "succeed" | "failed"): Promise<string> {
  const { res, text } = await fetchText(`${simulatorUrl}/_sim/tasks/${encodeURIComponent(taskId)}`, {
    method: "PUT",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ dialect: "kling-new", timeline: { outcome } }),
    timeoutMs: REQUEST_TIMEOUT_MS,
    what: `creating the Kling new-API task ${taskId} on the simulator`,
  });
  if (!res.ok) throw new Error(`creating the Kling new-API task ${taskId} answered ${res.status}: ${text.slice(0, 200)}`);
  return taskId;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, Math.max(0, ms)));
const secs = (ms: number) => ms / 1000;
function percentile(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** The JSON object a log line holds from `start` on (wrangler may prefix and colour it), or null. */
function parseJsonLine<T>(line: string, start: string): T | null {
  const at = line.indexOf(start);
  if (at < 0) return null;
  const end = line.lastIndexOf("}");
  try {
    return JSON.parse(line.slice(at, end + 1)) as T;
  } catch {
    return null;
  }
}

/** Runs one soak and returns its figures and problems. Never throws for a relay failure: that is a problem. */
export async function runSoak(options: SoakOptions): Promise<SoakResult> {
  const say = options.say;
  const started = Date.now();
  const random = seededRandom(options.seed);
  const secret = `whsec_${randomBytes(32).toString("base64")}`;
  const upstreamKey = `sim-${randomBytes(12).toString("hex")}`;
  const regsPerMinute = (options.tasks * (1 + options.twoSubscriberShare)) / options.minutes;
  // Half of each key's limit at most, so that bursts of a batch stay well inside it.
  const apiKeys = Array.from(
    { length: Math.max(2, Math.ceil(regsPerMinute / (REGISTRATIONS_PER_KEY_PER_MINUTE / 2))) },
    () => `soak-${randomBytes(12).toString("hex")}`,
  );
  const adminKey = `soak-admin-${randomBytes(12).toString("hex")}`;
  const wallSeconds = options.wallSeconds ?? DEFAULT_WALL_SECONDS;
  const limitSeconds = wallSeconds + DEFAULT_UPSTREAM_TIMEOUT_SECONDS + options.marginSeconds;
  const limitMs = limitSeconds * 1000;
  // The whole run: start-up, registrations, drain, the last ticks, the final check, and slack.
  const overallDeadline =
    started +
    (options.deadlineSeconds
      ? options.deadlineSeconds * 1000
      : 90_000 + options.minutes * 60_000 + options.drainSeconds * 1000 + limitMs + 90_000);

  const problems: string[] = [];
  const problem = (line: string) => {
    if (problems.length < 50) problems.push(line);
    say(`PROBLEM: ${line}`);
  };
  let fatal: string | null = null;
  const stopWith = (why: string) => {
    if (fatal === null) {
      fatal = why;
      problem(why);
    }
  };
  const tickLines: TickLine[] = [];
  const batchLines: QueueBatchLine[] = [];
  /** miniflare's `QUEUE <name> <acked>/<total>` lines with fewer acked: a batch Queues retries. */
  let consumerBatchesRetried = 0;
  let newApiTasks = 0;
  const relayErrors: string[] = [];
  const ticks: FiredTick[] = [];
  const expected: ExpectedWebhook[] = [];
  const expectedByKey = new Map<string, ExpectedWebhook>();
  const arrivedAt = new Map<string, number>();
  const taskIds: string[] = [];
  /** Tasks of Kling's new API (provider `kling`): the relay's view is asked with `?provider=kling`. */
  const klingTaskIds = new Set<string>();
  let registrationsRateLimited = 0;
  let registrationFailures = 0;
  let maxInFlight = 0;
  let drainMs = 0;

  let network: LoopbackNetwork | undefined;
  let relay: WranglerDev | undefined;
  let ticksEndedByStorage = 0;
  /** The time and D1 round trips of the ticks a D1 fault ended (src/index.ts logs them on its storage_unavailable line). */
  const storageEndedTicks: { durationMs: number; d1: { queries: number } }[] = [];
  let consumerBatchesEndedByStorage = 0;
  storageRetries.count = 0;
  let ticker: NodeJS.Timeout | undefined;
  let monitor: NodeJS.Timeout | undefined;
  const inFlight = () => ticks.filter((t) => t.endedAt === null);

  options.signal?.addEventListener("abort", () => stopWith("interrupted"), { once: true });
  try {
    network = await startLoopbackNetwork({ apiKey: upstreamKey, timeScale: options.timeScale, seed: options.seed });
    network.simulator.setFaults(options.faults);
    for (const name of HEALTHY_RECEIVERS) network.receivers.configure(name, { secret });

    const vars: Record<string, string> = {
      RELAY_API_KEYS: apiKeys.join(","),
      ADMIN_API_KEY: adminKey,
      WEBHOOK_SECRETS: secret,
      COMETAPI_KEY: upstreamKey,
      UPSTREAM_BASE_URL: network.url,
      ALLOW_INSECURE_CALLBACKS: "true",
      DELIVERY_RETRY_SCHEDULE: options.deliveryRetrySchedule,
      // POLL_*_INTERVAL_SECONDS, UPSTREAM_TIMEOUT_SECONDS, SUBREQUEST_BUDGET, DELIVERY_TIMEOUT_SECONDS:
      // the relay's own defaults (wrangler.toml's [vars] and src/config.ts).
      ...(options.wallSeconds === undefined ? {} : { TICK_WALL_BUDGET_SECONDS: String(options.wallSeconds) }),
      ...(options.d1FaultRate ? { D1_FAULT_RATE: String(options.d1FaultRate) } : {}),
      // Kling's own API (the simulator's default account), for the new-API share of the tasks.
      ...(options.newApiShare ? { KLING_API_KEY: DEFAULT_KLING_CREDENTIALS.apiKey!, KLING_BASE_URL: network.url } : {}),
    };
    say(
      `[${options.name}] simulator and receivers on ${network.url} (durations x${options.timeScale}, faults ${JSON.stringify(options.faults)})`,
    );
    relay = await startWranglerDev({
      vars,
      // The sources as they are now: an edit saved in the working tree meanwhile does not reload the relay mid-run.
      snapshot: true,
      ...(options.queues ? { env: "queues" } : {}),
      signal: options.signal,
      onLine: (line) => {
        if (options.echoRelay) say(`  relay| ${line}`);
        // A tick a D1 fault ended (D1_FAULT_RATE) logs this instead of its tick line.
        if (line.includes('"event":"storage_unavailable"') && line.includes('"during":"tick"')) {
          ticksEndedByStorage += 1;
          const ended = parseJsonLine<{ durationMs?: number; d1?: { queries: number } }>(line, '{"event":"storage_unavailable"');
          if (ended?.durationMs !== undefined && ended.d1) storageEndedTicks.push({ durationMs: ended.durationMs, d1: ended.d1 });
        }
        if (line.includes('"event":"storage_unavailable"') && line.includes('"during":"queue_batch"')) consumerBatchesEndedByStorage += 1;
        const retried = /QUEUE \S+ (\d+)\/(\d+)/.exec(line);
        if (retried && Number(retried[1]) < Number(retried[2])) consumerBatchesRetried += 1;
        const batchAt = line.indexOf('{"event":"queue_batch"');
        if (batchAt >= 0) {
          try {
            batchLines.push(JSON.parse(line.slice(batchAt)) as QueueBatchLine);
          } catch {
            relayErrors.push(`unparsable queue_batch line: ${line.slice(0, 200)}`);
          }
          return;
        }
        const at = line.indexOf('{"event":"tick"');
        if (at >= 0) {
          try {
            tickLines.push(JSON.parse(line.slice(at)) as TickLine);
          } catch {
            relayErrors.push(`unparsable tick line: ${line.slice(0, 200)}`);
          }
        } else if (/Uncaught|\[ERROR\]|✘/.test(line) && !line.includes('"event":"storage_unavailable"')) {
          // (D1 unavailable is expected in a D1_FAULT_RATE run: counted above, not an error of the relay.)
          relayErrors.push(line.slice(0, 300));
        }
      },
    });
    const liveRelay = relay;
    // A receiver per batch: a long soak has more endpoints than a tenant's default cap, so the
    // operator gives the soak's tenant room, as for any busy tenant.
    await apiRetrying(liveRelay.url, adminKey, "PATCH", "/v1/admin/tenants/default", { caps: { endpoints: 100_000 } });
    say(
      `[${options.name}] relay under wrangler dev${options.queues ? " --env queues (the tick sends work to Queues' consumers)" : ""} on ${relay.url}: TICK_WALL_BUDGET_SECONDS ${options.wallSeconds ?? "default (58)"}, SUBREQUEST_BUDGET default (45), UPSTREAM_TIMEOUT_SECONDS default (15); a tick may run ${limitSeconds} s`,
    );
    say(
      `[${options.name}] ${options.tasks} tasks (${Math.round((options.newApiShare ?? 0) * 100)} % on Kling's new API) over ${options.minutes} min (a batch every ${options.batchEverySeconds} s, ${apiKeys.length} API keys), cron fired every ${options.tickEverySeconds} s`,
    );

    // The cron: fired on a cadence, never awaited serially; each fired tick is tracked until it returns.
    const fire = () => {
      if (fatal !== null) return;
      const tick: FiredTick = {
        n: ticks.length + 1,
        firedAt: Date.now(),
        endedAt: null,
        status: null,
        error: null,
        controller: new AbortController(),
      };
      ticks.push(tick);
      maxInFlight = Math.max(maxInFlight, inFlight().length);
      // The monitor below reports a tick past its limit; this timeout is only a backstop.
      fetchText(`${liveRelay.url}/__scheduled?cron=${encodeURIComponent("* * * * *")}`, {
        timeoutMs: limitMs + 60_000,
        signal: tick.controller.signal,
        what: `tick ${tick.n} (GET /__scheduled)`,
      })
        .then(({ res }) => {
          tick.status = res.status;
          if (!res.ok) problem(`tick ${tick.n} answered ${res.status}`);
        })
        .catch((error: unknown) => {
          tick.error = error instanceof Error ? error.message : String(error);
          if (fatal === null) problem(`tick ${tick.n} request failed: ${tick.error}`);
        })
        .finally(() => (tick.endedAt = Date.now()));
    };
    // Every second: a tick past its limit, or the run past its deadline, stops the run.
    monitor = setInterval(() => {
      const now = Date.now();
      for (const tick of inFlight()) {
        if (now - tick.firedAt > limitMs) {
          stopWith(
            `tick ${tick.n} still running after ${Math.round(secs(now - tick.firedAt))} s (wall budget ${wallSeconds} s, limit ${limitSeconds} s = wall budget + one ${DEFAULT_UPSTREAM_TIMEOUT_SECONDS} s request timeout + ${options.marginSeconds} s)`,
          );
          break;
        }
      }
      if (options.signal?.aborted) stopWith("interrupted");
      if (now > overallDeadline) stopWith(`the soak passed its overall deadline (${Math.round(secs(overallDeadline - started))} s)`);
    }, 1000);
    fire();
    ticker = setInterval(fire, options.tickEverySeconds * 1000);

    // Arrivals: what the receivers accepted (verified, answered 2xx), read incrementally.
    const seen = new Map<string, number>();
    const webhookIds = new Map<string, number>();
    const counts = { received: 0, verified: 0, accepted: 0, failedAnswers: 0 };
    const readArrivals = () => {
      for (const name of network!.receivers.names()) {
        const all = network!.receivers.deliveries(name);
        for (let i = seen.get(name) ?? 0; i < all.length; i++) {
          const d = all[i]!;
          counts.received += 1;
          if (d.verified) counts.verified += 1;
          if (d.verified !== true || d.answered < 200 || d.answered >= 300) {
            counts.failedAnswers += 1;
            continue;
          }
          counts.accepted += 1;
          const id = d.headers["webhook-id"] ?? "";
          webhookIds.set(id, (webhookIds.get(id) ?? 0) + 1);
          const body = JSON.parse(d.body) as { type: string; subscription_id: string };
          const key = `${body.subscription_id}|${body.type}`;
          if (expectedByKey.has(key) && !arrivedAt.has(key)) arrivedAt.set(key, d.receivedAt);
        }
        seen.set(name, all.length);
      }
    };

    let lastProgress = Date.now();
    const progress = (phase: string, force = false) => {
      if (!force && Date.now() - lastProgress < options.progressEverySeconds * 1000) return;
      lastProgress = Date.now();
      readArrivals();
      const returned = ticks.filter((t) => t.endedAt !== null);
      const longest = Math.max(0, ...[...tickLines, ...storageEndedTicks].map((t) => t.durationMs));
      const oldest = Math.max(0, ...inFlight().map((t) => Date.now() - t.firedAt));
      say(
        `[${options.name}] t+${String(Math.round(secs(Date.now() - started))).padStart(4)}s ${phase.padEnd(9)} tasks ${taskIds.length}/${options.tasks}  ticks fired ${ticks.length}, in flight ${inFlight().length} (oldest ${Math.round(secs(oldest))} s), returned ${returned.length}, longest ${secs(longest).toFixed(1)} s  |  final webhooks ${arrivedAt.size}/${expected.length}  |  upstream polls ${network!.simulator.stats().polls}, faults ${network!.simulator.stats().faultsInjected}${options.queues ? `  |  consumer batches ${batchLines.length}` : ""}`,
      );
    };

    // Registrations: batches on a schedule, each task created upstream then registered (1 or 2 subscribers).
    const batches = Math.max(1, Math.round((options.minutes * 60) / options.batchEverySeconds));
    let keyTurn = 0;
    const register = async (body: Record<string, unknown>): Promise<string | null> => {
      for (let attempt = 0; attempt < apiKeys.length * 3 && fatal === null; attempt++) {
        const key = apiKeys[keyTurn++ % apiKeys.length]!;
        try {
          return (await apiRetrying<{ id: string }>(liveRelay.url, key, "POST", "/v1/tasks", body)).id;
        } catch (error) {
          const message = error instanceof Error ? error.message : String(error);
          if (message.includes("answered 429")) {
            registrationsRateLimited += 1;
            // Every key was tried: wait a little (bounded by the attempts) before the next round.
            if (attempt % apiKeys.length === apiKeys.length - 1) await sleep(2_000);
            continue;
          }
          registrationFailures += 1;
          problem(`registration of ${String(body.task_id)} failed: ${message.slice(0, 300)}`);
          return null;
        }
      }
      if (fatal === null) {
        registrationFailures += 1;
        problem(`registration of ${String(body.task_id)} still rate limited after ${apiKeys.length * 3} attempts`);
      }
      return null;
    };
    const registerTask = async (batch: number) => {
      // (No draw without a new-API share: the runs of the CometAPI-only soak stay as they were.)
      const newApi = (options.newApiShare ?? 0) > 0 && random() < (options.newApiShare ?? 0);
      const [action, action2] = PAIRS[Math.floor(random() * PAIRS.length)]!;
      const outcome = random() < options.failedShare ? "failed" : "succeed";
      const subscribers = random() < options.twoSubscriberShare ? 2 : 1;
      const receivers: string[] = [];
      for (let s = 0; s < subscribers; s++) {
        if (random() < options.flakyShare) receivers.push(`flaky-${batch}`);
        else receivers.push(HEALTHY_RECEIVERS.filter((r) => !receivers.includes(r))[Math.floor(random() * 3)]!);
      }
      const taskId = newApi
        ? await createNewApiTask(network!.url, `soak-${randomBytes(8).toString("hex")}`, outcome)
        : await createSimulatedTask(network!.url, upstreamKey, action, action2, { outcome });
      if (newApi) {
        newApiTasks += 1;
        klingTaskIds.add(taskId);
      }
      const timeline = network!.simulator.task(taskId)?.timeline;
      const finishesAt =
        (network!.simulator.task(taskId)?.createdAt ?? Date.now()) + (timeline ? timeline.submittedMs + timeline.processingMs : 0);
      taskIds.push(taskId);
      for (const receiver of [...new Set(receivers)]) {
        const id = await register({
          task_id: taskId,
          ...(newApi ? { provider: "kling" } : { action, action2 }),
          callback_url: `${network!.url}/hooks/${receiver}`,
          metadata: { soak: options.name, batch },
        });
        if (id === null) continue;
        const e: ExpectedWebhook = {
          subscriptionId: id,
          taskId,
          receiver,
          type: outcome === "succeed" ? "task.succeeded" : "task.failed",
          finishesAt,
        };
        expected.push(e);
        expectedByKey.set(`${e.subscriptionId}|${e.type}`, e);
      }
    };
    /** The relay's view of one task (`?provider=kling` for Kling's new API), retried while D1 is unavailable. */
    const taskView = (id: string) =>
      apiRetrying<TaskView>(
        liveRelay.url,
        apiKeys[0]!,
        "GET",
        `/v1/tasks/${encodeURIComponent(id)}${klingTaskIds.has(id) ? "?provider=kling" : ""}`,
      );
    const describeStragglers = async () => {
      for (const e of expected.filter((x) => !arrivedAt.has(`${x.subscriptionId}|${x.type}`)).slice(0, 3)) {
        const view = await taskView(e.taskId).catch((error: unknown) => String(error));
        const sub = typeof view === "string" ? view : view.subscriptions.find((s) => s.id === e.subscriptionId);
        const received = network!.receivers
          .deliveries(e.receiver)
          .filter((d) => d.body.includes(e.subscriptionId))
          .map((d) => `${d.answered} at t+${Math.round(secs(d.receivedAt - started))}s`);
        say(
          `[${options.name}] t+${Math.round(secs(Date.now() - started))}s still out: ${e.type} for ${e.subscriptionId} (task ${e.taskId}, receiver ${e.receiver}, finished upstream t+${Math.round(secs(e.finishesAt - started))}s); the receiver answered [${received.join(", ")}]; the relay says ${JSON.stringify(sub)}${typeof view === "string" ? "" : ` (task ${view.task_status}, finished ${view.finished_at}, next poll ${view.next_poll_at})`}`,
        );
      }
    };
    const registering = Date.now();
    for (let batch = 0; batch < batches && fatal === null; batch++) {
      const due = registering + batch * options.batchEverySeconds * 1000;
      while (Date.now() < due && fatal === null) {
        progress("register");
        await sleep(Math.min(500, due - Date.now()));
      }
      if (fatal !== null) break;
      // A receiver per batch that fails its first deliveries: 500, then 503 with Retry-After, then 200.
      network.receivers.configure(`flaky-${batch}`, {
        secret,
        steps: [{ status: 500 }, { status: 503, headers: { "retry-after": "3" } }, { status: 200 }],
      });
      const size = Math.floor(((batch + 1) * options.tasks) / batches) - Math.floor((batch * options.tasks) / batches);
      // A few registrations at once, as several app instances would.
      let next = 0;
      await Promise.all(
        Array.from({ length: 4 }, async () => {
          while (next < size && fatal === null) {
            next += 1;
            await registerTask(batch);
          }
        }),
      );
    }
    const registeredAt = Date.now();
    say(
      `[${options.name}] registered ${taskIds.length} tasks, ${expected.length} subscriptions in ${Math.round(secs(registeredAt - registering))} s (${registrationsRateLimited} registrations rate limited and retried with another key)`,
    );

    // Drain: keep ticking until every expected final webhook arrived, at most drainSeconds.
    const drainDeadline = registeredAt + options.drainSeconds * 1000;
    let lastStragglerLook = Date.now();
    for (;;) {
      readArrivals();
      if (fatal !== null || arrivedAt.size === expected.length || Date.now() > drainDeadline) break;
      progress("drain");
      // A few webhooks still out for a while: say what the relay and the receiver know of them, so
      // that a run cut short (in CI) still tells why they were slow.
      if (expected.length - arrivedAt.size <= 3 && Date.now() - lastStragglerLook >= 30_000) {
        lastStragglerLook = Date.now();
        await describeStragglers();
      }
      await sleep(1000);
    }
    drainMs = Date.now() - registeredAt;
    const missingAtDeadline = expected.length - arrivedAt.size;

    // The relay's own view: every task finished, every subscription delivered. A webhook can arrive
    // while its send's record is lost to a D1 fault: the relay sends it again (same webhook-id) when
    // its lease ends and records it then. So the cron keeps firing until the view settles, within
    // the drain deadline; what is still unsettled then is reported after the wind-down.
    const readViews = async (ids: string[]) => {
      const unsettled: string[] = [];
      /** What the relay answered for the tasks left unsettled (null: no answer): for the problem lines. */
      const views = new Map<string, TaskView | null>();
      let tasksNotFinished = 0;
      let subscriptionsNotDelivered = 0;
      let cursor = 0;
      await Promise.all(
        Array.from({ length: 8 }, async () => {
          while (cursor < ids.length && Date.now() < overallDeadline) {
            const id = ids[cursor++]!;
            const view = await taskView(id).catch(() => null);
            const notFinished = !view || view.finished_at === null || view.next_poll_at !== null;
            const notDelivered = (view?.subscriptions ?? []).filter((sub) => sub.status !== "delivered").length;
            tasksNotFinished += notFinished ? 1 : 0;
            subscriptionsNotDelivered += notDelivered;
            if (notFinished || notDelivered > 0) {
              unsettled.push(id);
              views.set(id, view);
            }
          }
        }),
      );
      // Ids the deadline left unread count as unsettled.
      for (const id of ids.slice(cursor)) unsettled.push(id);
      tasksNotFinished += ids.length - cursor;
      return { unsettled, views, tasksNotFinished, subscriptionsNotDelivered };
    };
    let unsettledIds = [...taskIds];
    if (fatal === null && arrivedAt.size === expected.length) {
      for (;;) {
        unsettledIds = (await readViews(unsettledIds)).unsettled;
        if (fatal !== null || unsettledIds.length === 0 || Date.now() > drainDeadline) break;
        progress("settle");
        await sleep(2000);
      }
      if (unsettledIds.length === 0) {
        say(
          `[${options.name}] t+${Math.round(secs(Date.now() - started))}s the relay's view settled ${Math.round(secs(Date.now() - registeredAt - drainMs))} s after the last webhook arrived`,
        );
      }
    }

    // Stop firing; every fired tick must still return within its limit (the monitor watches).
    clearInterval(ticker);
    ticker = undefined;
    progress("wind-down", true);
    while (fatal === null && inFlight().length > 0) await sleep(250);
    clearInterval(monitor);
    monitor = undefined;
    readArrivals();
    // The ticks still in flight at the drain deadline may have delivered some: lost is what never came.
    if (fatal === null && arrivedAt.size < expected.length) {
      problem(
        `${expected.length - arrivedAt.size} expected final webhooks never arrived (${missingAtDeadline} were missing at the drain deadline, ${options.drainSeconds} s after the last registration)`,
      );
      const missing = expected.filter((e) => !arrivedAt.has(`${e.subscriptionId}|${e.type}`)).slice(0, 5);
      for (const e of missing)
        problem(`missing: ${e.type} for subscription ${e.subscriptionId} (task ${e.taskId}, receiver ${e.receiver})`);
    }

    // The relay's view once every tick returned (only the tasks not yet seen settled are read again).
    let tasksNotFinished = 0;
    let subscriptionsNotDelivered = 0;
    if (fatal === null) {
      say(
        `[${options.name}] t+${Math.round(secs(Date.now() - started))}s every fired tick returned; reading the relay's view of ${unsettledIds.length} of the ${taskIds.length} tasks not yet seen settled`,
      );
      const read = await readViews(unsettledIds);
      ({ tasksNotFinished, subscriptionsNotDelivered } = read);
      if (tasksNotFinished > 0) problem(`${tasksNotFinished} tasks not finished in the relay's view (GET /v1/tasks/{id})`);
      if (subscriptionsNotDelivered > 0) problem(`${subscriptionsNotDelivered} subscriptions not delivered in the relay's view`);
      // What each side says of the first few, so that a run that failed in CI can be read afterwards.
      for (const [id, view] of [...read.views].slice(0, 3)) {
        const sim = network.simulator.task(id);
        const upstream = sim && {
          polls: sim.polls,
          createdAt: new Date(sim.createdAt).toISOString(),
          finishedAt: sim.finishedAt === null ? null : new Date(sim.finishedAt).toISOString(),
          status: sim.timeline ? network.simulator.dataOf(sim, sim.timeline).task_status : null,
        };
        problem(
          `task ${id} at ${new Date().toISOString()}: the relay says ${JSON.stringify(view)}; the simulator ${JSON.stringify(upstream ?? null)}`,
        );
      }
    }

    // What the ticks logged (wrangler may print a tick's line just after its request returned).
    for (let i = 0; i < 20 && tickLines.length < ticks.length; i++) await sleep(100);
    if (fatal === null && tickLines.length + ticksEndedByStorage !== ticks.length)
      problem(`${ticks.length} ticks fired and returned, but ${tickLines.length} tick log lines (and ${ticksEndedByStorage} ended by D1)`);
    for (const t of [...tickLines, ...storageEndedTicks]) {
      if (t.durationMs > limitMs) problem(`a tick logged durationMs ${t.durationMs} (limit ${limitMs})`);
    }
    for (const t of tickLines) {
      if (t.configurationError) problem(`a tick logged a configuration error: ${t.configurationError}`);
    }
    // A consumer starts work for CONSUMER_WORK_MS, and may then wait on one request's timeout.
    const consumerLimitMs = CONSUMER_WORK_MS + DEFAULT_UPSTREAM_TIMEOUT_SECONDS * 1000 + options.marginSeconds * 1000;
    for (const b of batchLines) {
      if (b.durationMs > consumerLimitMs) problem(`a queue consumer logged durationMs ${b.durationMs} (limit ${consumerLimitMs})`);
      if (b.configurationError) problem(`a queue consumer logged a configuration error: ${b.configurationError}`);
    }
    for (const line of relayErrors.slice(0, 5)) problem(`relay output: ${line}`);
    const output = relay.output();
    for (const key of [...apiKeys, secret, secret.slice("whsec_".length), upstreamKey, DEFAULT_KLING_CREDENTIALS.apiKey!]) {
      if (output.includes(key)) {
        problem("the relay's output contains a key or secret");
        break;
      }
    }

    const delays = [...arrivedAt].map(([key, at]) => secs(at - expectedByKey.get(key)!.finishesAt));
    // Every tick: those that logged their line, and those a D1 fault ended (their time and round trips so far).
    const everyTick = [...tickLines, ...storageEndedTicks];
    const durations = everyTick.map((t) => secs(t.durationMs));
    const returned = ticks.filter((t) => t.endedAt !== null);
    const upstreamErrorsSeen: Record<string, number> = {};
    for (const t of [...tickLines, ...batchLines])
      for (const [k, n] of Object.entries(t.upstreamErrors ?? {})) upstreamErrorsSeen[k] = (upstreamErrorsSeen[k] ?? 0) + n;
    const batchSeconds = batchLines.map((b) => secs(b.durationMs));
    const stats = network.simulator.stats();
    const endReasons: Record<string, number> = {};
    for (const t of tickLines) endReasons[t.endReason ?? "unknown"] = (endReasons[t.endReason ?? "unknown"] ?? 0) + 1;
    // A tick a D1 fault ended logs no tick line, and so no endReason: its storage_unavailable line says it.
    if (ticksEndedByStorage > 0) endReasons.storage_unavailable = ticksEndedByStorage;
    const duplicates = [...webhookIds.values()].reduce((sum, n) => sum + n - 1, 0);
    const figures: SoakFigures = {
      name: options.name,
      stoppedEarly: fatal,
      minutes: options.minutes,
      seconds: Math.round(secs(Date.now() - started)),
      tasks: taskIds.length,
      subscriptions: expected.length,
      apiKeys: apiKeys.length,
      registrationsRateLimited,
      registrationFailures,
      wallSeconds,
      limitSeconds,
      subrequestBudget: "45 (default)",
      ticksFired: ticks.length,
      ticksReturned: returned.length,
      ticksLogged: tickLines.length,
      maxTicksInFlight: maxInFlight,
      tickSecondsMax: Math.max(0, ...durations),
      tickSecondsP50: percentile(durations, 50),
      tickRequestSecondsMax: Math.max(0, ...returned.map((t) => secs(t.endedAt! - t.firedAt))),
      d1RoundTripsP50: percentile(
        everyTick.map((t) => t.d1.queries),
        50,
      ),
      d1RoundTripsMax: Math.max(0, ...everyTick.map((t) => t.d1.queries)),
      roundsP50: percentile(
        tickLines.map((t) => t.rounds),
        50,
      ),
      roundsMax: Math.max(0, ...tickLines.map((t) => t.rounds)),
      ticksOutOfBudget: tickLines.filter((t) => t.subrequestsLeft <= 0).length,
      endReasons,
      mode: options.queues ? "queues" : "default",
      newApiTasks,
      consumerBatches: batchLines.length,
      consumerBatchesRetried,
      consumerBatchesEndedByStorage,
      consumerSecondsMax: Math.max(0, ...batchSeconds),
      consumerSecondsP50: percentile(batchSeconds, 50),
      consumerD1RoundTripsP50: percentile(
        batchLines.map((b) => b.d1.queries),
        50,
      ),
      consumerD1RoundTripsMax: Math.max(0, ...batchLines.map((b) => b.d1.queries)),
      consumerPolled: batchLines.reduce((sum, b) => sum + b.polled, 0),
      consumerDelivered: batchLines.reduce((sum, b) => sum + b.delivered, 0),
      upstreamRequests: stats.requests.cometapi + stats.requests["kling-new"],
      upstreamPolls: stats.polls,
      upstreamFaults: stats.faultsInjected,
      upstreamErrorsSeen,
      webhooksExpected: expected.length,
      webhooksReceived: counts.received,
      webhooksVerified: counts.verified,
      webhooksAccepted: counts.accepted,
      receiverFailuresAnswered: counts.failedAnswers,
      duplicates,
      ticksEndedByStorage,
      storageRetries: storageRetries.count,
      lost: expected.length - arrivedAt.size,
      delayP50: percentile(delays, 50),
      delayP95: percentile(delays, 95),
      delayMax: Math.max(0, ...delays),
      tasksNotFinished,
      subscriptionsNotDelivered,
      drainSeconds: Math.round(secs(drainMs)),
    };
    if (fatal !== null) {
      for (const tick of inFlight())
        say(
          `[${options.name}] tick ${tick.n} was still in flight after ${Math.round(secs(Date.now() - tick.firedAt))} s when the run stopped`,
        );
    }
    return { figures, problems, table: soakTable(figures, problems), figuresLine: figuresLine(figures) };
  } catch (error) {
    problem(`the soak itself failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    const figures = emptyFigures(options, apiKeys.length, wallSeconds, limitSeconds, ticks.length, expected.length - arrivedAt.size);
    return { figures, problems, table: soakTable(figures, problems), figuresLine: figuresLine(figures) };
  } finally {
    if (ticker) clearInterval(ticker);
    if (monitor) clearInterval(monitor);
    for (const tick of ticks) if (tick.endedAt === null) tick.controller.abort();
    await relay?.stop().catch(() => undefined);
    await network?.close().catch(() => undefined);
  }
}

function emptyFigures(
  options: SoakOptions,
  apiKeys: number,
  wallSeconds: number,
  limitSeconds: number,
  ticksFired: number,
  lost: number,
): SoakFigures {
  return {
    name: options.name,
    stoppedEarly: "the soak itself failed",
    minutes: options.minutes,
    seconds: 0,
    tasks: 0,
    subscriptions: 0,
    apiKeys,
    registrationsRateLimited: 0,
    registrationFailures: 0,
    wallSeconds,
    limitSeconds,
    subrequestBudget: "45 (default)",
    ticksFired,
    ticksReturned: 0,
    ticksLogged: 0,
    maxTicksInFlight: 0,
    tickSecondsMax: 0,
    tickSecondsP50: 0,
    tickRequestSecondsMax: 0,
    d1RoundTripsP50: 0,
    d1RoundTripsMax: 0,
    roundsP50: 0,
    roundsMax: 0,
    ticksOutOfBudget: 0,
    endReasons: {},
    mode: options.queues ? "queues" : "default",
    newApiTasks: 0,
    consumerBatches: 0,
    consumerBatchesRetried: 0,
    consumerBatchesEndedByStorage: 0,
    consumerSecondsMax: 0,
    consumerSecondsP50: 0,
    consumerD1RoundTripsP50: 0,
    consumerD1RoundTripsMax: 0,
    consumerPolled: 0,
    consumerDelivered: 0,
    upstreamRequests: 0,
    upstreamPolls: 0,
    upstreamFaults: 0,
    upstreamErrorsSeen: {},
    webhooksExpected: 0,
    webhooksReceived: 0,
    webhooksVerified: 0,
    webhooksAccepted: 0,
    receiverFailuresAnswered: 0,
    duplicates: 0,
    ticksEndedByStorage: 0,
    storageRetries: 0,
    lost,
    delayP50: 0,
    delayP95: 0,
    delayMax: 0,
    tasksNotFinished: 0,
    subscriptionsNotDelivered: 0,
    drainSeconds: 0,
  };
}

const int = (n: number) => Math.round(n).toLocaleString("en-US");
const dec = (n: number) => n.toFixed(1);

/** The figures as a markdown table, problems listed below it. */
export function soakTable(f: SoakFigures, problems: string[]): string {
  const errors =
    Object.entries(f.upstreamErrorsSeen)
      .map(([k, n]) => `${k} ${int(n)}`)
      .join(", ") || "none";
  const rows: [string, string][] = [
    [
      "mode (wrangler.toml) / tasks on Kling's new API (the rest CometAPI)",
      `${f.mode === "queues" ? "[env.queues]: the tick sends work to Queues' consumers" : "default: the tick does all the work"} / ${int(f.newApiTasks)}`,
    ],
    ["tasks registered / subscriptions (some with 2 subscribers)", `${int(f.tasks)} / ${int(f.subscriptions)}`],
    [
      "API keys used (120 registrations a minute each) / registrations rate limited, retried",
      `${f.apiKeys} / ${int(f.registrationsRateLimited)}`,
    ],
    ["ticks fired / returned / logged", `${int(f.ticksFired)} / ${int(f.ticksReturned)} / ${int(f.ticksLogged)}`],
    ["ticks in flight at once (max)", int(f.maxTicksInFlight)],
    ["wall budget / limit (wall + upstream timeout + margin)", `${f.wallSeconds} s / ${f.limitSeconds} s`],
    [
      "tick duration max / p50 (logged durationMs; a tick a D1 fault ended: until then)",
      `${dec(f.tickSecondsMax)} s / ${dec(f.tickSecondsP50)} s`,
    ],
    ["longest fire-to-return (the soak's own clock)", `${dec(f.tickRequestSecondsMax)} s`],
    ["D1 round trips per tick p50 / max (a tick a D1 fault ended: until then)", `${int(f.d1RoundTripsP50)} / ${int(f.d1RoundTripsMax)}`],
    ["rounds per tick p50 / max (the ticks that logged their line)", `${int(f.roundsP50)} / ${int(f.roundsMax)}`],
    [`ticks that spent the whole subrequest budget (${f.subrequestBudget})`, int(f.ticksOutOfBudget)],
    [
      "how ticks ended (endReason)",
      Object.entries(f.endReasons)
        .map(([k, n]) => `${k} ${int(n)}`)
        .join(", ") || "none logged",
    ],
    ...(f.mode === "queues"
      ? ([
          [
            "queue consumer batches logged / retried by Queues / of those, ended by a D1 fault",
            `${int(f.consumerBatches)} / ${int(f.consumerBatchesRetried)} / ${int(f.consumerBatchesEndedByStorage)}`,
          ],
          ["consumer batch duration max / p50", `${dec(f.consumerSecondsMax)} s / ${dec(f.consumerSecondsP50)} s`],
          ["D1 round trips per consumer batch p50 / max", `${int(f.consumerD1RoundTripsP50)} / ${int(f.consumerD1RoundTripsMax)}`],
          ["polls / webhooks sent by consumers", `${int(f.consumerPolled)} / ${int(f.consumerDelivered)}`],
        ] satisfies [string, string][])
      : []),
    [
      "upstream polls (tasks) / requests (a batch query counts once; creates too) / faults injected",
      `${int(f.upstreamPolls)} / ${int(f.upstreamRequests)} / ${int(f.upstreamFaults)}`,
    ],
    ["upstream errors the ticks and consumers logged", errors],
    ["webhooks expected (final events)", int(f.webhooksExpected)],
    [
      "webhooks received (every attempt) / verified / accepted (2xx)",
      `${int(f.webhooksReceived)} / ${int(f.webhooksVerified)} / ${int(f.webhooksAccepted)}`,
    ],
    ["receiver failures answered (500, 503 with Retry-After)", int(f.receiverFailuresAnswered)],
    ["duplicates (same webhook-id accepted twice)", int(f.duplicates)],
    [
      "D1 faults (D1_FAULT_RATE): ticks ended by one / API calls retried after 503",
      `${int(f.ticksEndedByStorage)} / ${int(f.storageRetries)}`,
    ],
    [
      "final webhook after the task finished upstream p50 / p95 / max",
      `${dec(f.delayP50)} s / ${dec(f.delayP95)} s / ${dec(f.delayMax)} s`,
    ],
    ["drain after the last registration", `${f.drainSeconds} s`],
    ["tasks not finished / subscriptions not delivered (relay's view)", `${int(f.tasksNotFinished)} / ${int(f.subscriptionsNotDelivered)}`],
    [f.stoppedEarly ? "**lost** (not arrived when the run stopped)" : "**lost**", `**${int(f.lost)}**`],
  ];
  return [
    `### Soak (${f.name}): ${int(f.tasks)} tasks registered over ${f.minutes} min, ${f.seconds} s in all${f.stoppedEarly ? `, STOPPED EARLY: ${f.stoppedEarly}` : ""}`,
    "",
    "| figure | value |",
    "|---|---|",
    ...rows.map(([k, v]) => `| ${k} | ${v} |`),
    ...(problems.length
      ? ["", "Problems:", ...problems.map((p) => `- ${p}`)]
      : ["", "No problems: nothing lost, every tick returned within its limit."]),
  ].join("\n");
}

/** One line of figures, for the README. */
export function figuresLine(f: SoakFigures): string {
  return (
    `${int(f.tasks)} tasks (${int(f.subscriptions)} subscriptions${f.newApiTasks > 0 ? `; ${int(f.newApiTasks)} tasks on Kling's new API` : ""}) registered over ${f.minutes} min, ${Math.round(f.seconds / 60)} min in all${f.mode === "queues" ? ", [env.queues]" : ""}; ${int(f.ticksFired)} ticks fired, up to ${f.maxTicksInFlight} at once; ` +
    `tick duration max ${dec(f.tickSecondsMax)} s, p50 ${dec(f.tickSecondsP50)} s (wall budget ${f.wallSeconds} s, limit ${f.limitSeconds} s); ` +
    `D1 round trips per tick p50 ${int(f.d1RoundTripsP50)}, max ${int(f.d1RoundTripsMax)}; ${f.mode === "queues" ? `${int(f.consumerBatches)} consumer batches, longest ${dec(f.consumerSecondsMax)} s, D1 round trips per batch p50 ${int(f.consumerD1RoundTripsP50)}, max ${int(f.consumerD1RoundTripsMax)}; ` : ""}rounds per tick p50 ${int(f.roundsP50)}, max ${int(f.roundsMax)}; ` +
    `${int(f.upstreamFaults)} upstream faults; webhooks expected ${int(f.webhooksExpected)}, received ${int(f.webhooksReceived)}, verified ${int(f.webhooksVerified)}, ` +
    `duplicates ${int(f.duplicates)}; final webhook p50 ${dec(f.delayP50)} s, p95 ${dec(f.delayP95)} s after the task finished; lost ${int(f.lost)}`
  );
}
