/**
 * A simulator of CometAPI's Kling task API, as docs/upstream.md describes it: the create and query
 * endpoints, bearer auth, the success envelope, each action pair's result shape, tasks that move
 * `submitted` -> `processing` -> `succeed`/`failed` over time, and seeded fault injection.
 * Tests can also script a task poll by poll. Control routes live under `/_sim`.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { UpstreamStep } from "./fake-protocol";
import { json, readBody } from "./http-helpers";
import { taskInfoFor, taskResultFor, typicalDurations } from "./kling-results";
import { between, seededRandom } from "./seeded-random";
import { drawFault, type Faults, NO_FAULTS, stepKind } from "./simulated-faults";

const PAIRS: Record<string, string[]> = {
  images: ["generations", "kolors-virtual-try-on"],
  videos: ["text2video", "image2video", "lip-sync", "effects", "multi-image2video", "multi-elements"],
  audio: ["text-to-audio", "video-to-audio"],
};

interface Timeline {
  submittedMs: number;
  processingMs: number;
  outcome: "succeed" | "failed";
  failMessage: string;
}

interface SimTask {
  id: string;
  action: string;
  action2: string;
  createdAt: number;
  timeline?: Timeline;
  steps?: UpstreamStep[];
  group: string;
  latencyMs: number;
  polls: number;
  finishedAt: number | null;
  /** What each poll of this task was answered, by kind (`status:processing`, `fault:http_503`, ...). */
  served?: Record<string, number>;
}

export interface SimulatorOptions {
  apiKey: string;
  /** Multiplies the typical durations (0.05 turns minutes into seconds). */
  timeScale?: number;
  seed?: number;
  now?: () => number;
}

export interface SimulatorStats {
  polls: number;
  served: Record<string, number>;
  faultsInjected: number;
  tasks: number;
}

export function createKlingSimulator(options: SimulatorOptions) {
  // A simulation can pin the clock (PUT /_sim/clock) so that hours run in seconds.
  let pinnedNow: number | null = null;
  const now = () => pinnedNow ?? (options.now ?? Date.now)();
  const random = seededRandom(options.seed ?? 1);
  const tasks = new Map<string, SimTask>();
  const inFlight = new Map<string, { now: number; max: number }>();
  const hanging = new Set<ServerResponse>();
  const stats: SimulatorStats = { polls: 0, served: {}, faultsInjected: 0, tasks: 0 };
  let faults: Faults = { ...NO_FAULTS };
  let sequence = 0;

  const served = (what: string) => (stats.served[what] = (stats.served[what] ?? 0) + 1);
  const envelope = (data: unknown) => ({ code: 0, message: "SUCCEED", request_id: `sim-${++sequence}`, data });

  /** A task answering `spec.steps` poll after poll (tests and benchmarks script them). */
  const scriptedTask = (
    id: string,
    spec: { action: string; action2: string; steps: UpstreamStep[]; group?: string; latencyMs?: number },
  ): SimTask => ({
    id,
    action: spec.action,
    action2: spec.action2,
    createdAt: now(),
    steps: spec.steps,
    group: spec.group ?? "",
    latencyMs: spec.latencyMs ?? 0,
    polls: 0,
    finishedAt: null,
  });

  function addTimelineTask(
    action: string,
    action2: string,
    hints: Partial<Timeline> & { pro?: boolean; id?: string; createdAt?: number } = {},
  ): SimTask {
    const typical = typicalDurations(action, hints.pro ?? false);
    const scale = options.timeScale ?? 1;
    const task: SimTask = {
      id: hints.id ?? `${Date.now()}${String(++sequence).padStart(6, "0")}`,
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
    };
    tasks.set(task.id, task);
    stats.tasks += 1;
    return task;
  }

  /** The task's `data` object at this moment (timeline tasks). */
  function dataOf(task: SimTask, timeline: Timeline): Record<string, unknown> {
    const age = now() - task.createdAt;
    const processingAt = task.createdAt + timeline.submittedMs;
    const doneAt = processingAt + timeline.processingMs;
    const status =
      age < timeline.submittedMs ? "submitted" : age < timeline.submittedMs + timeline.processingMs ? "processing" : timeline.outcome;
    if (status === timeline.outcome && task.finishedAt === null) task.finishedAt = doneAt;
    return {
      task_id: task.id,
      task_status: status,
      task_status_msg: status === "failed" ? timeline.failMessage : "",
      task_info: status === "submitted" ? {} : taskInfoFor(task.action, task.action2, task.id),
      task_result: status === "succeed" ? taskResultFor(task.action, task.action2, task.id) : {},
      created_at: task.createdAt,
      updated_at: Math.round(status === "submitted" ? task.createdAt : status === "processing" ? processingAt : doneAt),
      ...(status === "succeed" ? { final_unit_deduction: "1" } : {}),
    };
  }

  function answer(req: IncomingMessage, res: ServerResponse, step: UpstreamStep, createdAt: number) {
    if ("hang" in step) return void hanging.add(res);
    if ("reset" in step) return void req.socket.destroy();
    if ("http" in step) {
      const body = typeof step.body === "string" ? step.body : JSON.stringify(step.body ?? {});
      res.writeHead(step.http, { "content-type": "application/json", ...step.headers });
      return void res.end(body);
    }
    json(
      res,
      200,
      envelope({
        task_id: req.url?.split("/").pop(),
        task_status: step.status,
        task_status_msg: step.msg ?? "",
        task_info: {},
        task_result: step.result ?? {},
        created_at: createdAt,
        updated_at: now(),
        ...step.extra,
      }),
    );
  }

  async function query(req: IncomingMessage, res: ServerResponse, task: SimTask) {
    task.polls += 1;
    stats.polls += 1;
    const group = inFlight.get(task.group) ?? { now: 0, max: 0 };
    inFlight.set(task.group, group);
    group.now += 1;
    group.max = Math.max(group.max, group.now);
    res.on("close", () => (group.now -= 1));
    const latency = task.latencyMs || faults.latencyMs;
    if (latency > 0) await new Promise((r) => setTimeout(r, latency));
    if (task.steps) {
      const step = task.steps[Math.min(task.polls - 1, task.steps.length - 1)] ?? { hang: true };
      served("scripted");
      const kind = stepKind(step);
      task.served ??= {};
      task.served[kind] = (task.served[kind] ?? 0) + 1;
      return answer(req, res, step, task.createdAt);
    }
    const fault = drawFault(faults, random);
    if (fault) {
      stats.faultsInjected += 1;
      served("fault");
      return answer(req, res, fault, task.createdAt);
    }
    const data = dataOf(task, task.timeline!);
    served(String(data.task_status));
    json(res, 200, envelope(data));
  }

  /** Routes under `/kling/v1`: create (POST) and query (GET). */
  async function serveApi(req: IncomingMessage, res: ServerResponse, parts: string[]) {
    const [, , action = "", action2 = "", taskId] = parts;
    if (req.headers.authorization !== `Bearer ${options.apiKey}`) {
      served("unauthorized");
      return json(res, 401, { code: 1001, message: "Authorization is invalid", request_id: `sim-${++sequence}` });
    }
    if (!PAIRS[action]?.includes(action2))
      return json(res, 404, { error: { code: "", message: "Invalid URL (request id: sim)", type: "comet_api_error" } });
    if (req.method === "POST" && taskId === undefined) {
      const body = JSON.parse((await readBody(req)) || "{}");
      const task = addTimelineTask(action, action2, { ...body.x_sim, pro: body.mode === "pro" });
      return json(
        res,
        200,
        envelope({
          task_id: task.id,
          task_status: "submitted",
          task_info: { external_task_id: body.external_task_id ?? "" },
          created_at: task.createdAt,
          updated_at: task.createdAt,
        }),
      );
    }
    const task = taskId === undefined ? undefined : tasks.get(taskId);
    if (!task || task.action !== action || task.action2 !== action2) {
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
      const spec = JSON.parse(await readBody(req));
      const task = spec.steps ? scriptedTask(id, spec) : addTimelineTask(spec.action, spec.action2, { ...spec.timeline, id });
      task.group = spec.group ?? "";
      tasks.set(id, task);
      return json(res, 200, { id });
    }
    if (kind === "tasks" && id && sub === "polls") return json(res, 200, { polls: tasks.get(id)?.polls ?? 0 });
    if (kind === "tasks" && id) {
      const task = tasks.get(id);
      return task ? json(res, 200, { id, polls: task.polls, finished_at: task.finishedAt }) : json(res, 404, {});
    }
    if (kind === "bulk" && req.method === "PUT") {
      // Many scripted tasks at once (benchmarks): ids `${prefix}${1..count}`.
      const spec = JSON.parse(await readBody(req));
      for (let n = 1; n <= spec.count; n++) {
        const id = `${spec.prefix}${n}`;
        tasks.set(id, scriptedTask(id, spec));
      }
      return json(res, 200, { count: spec.count });
    }
    if (kind === "scripts" && req.method === "PUT") {
      // Many scripted tasks, each with its own script (chaos runs).
      const spec = JSON.parse(await readBody(req)) as { tasks: { id: string; action: string; action2: string; steps: UpstreamStep[] }[] };
      for (const t of spec.tasks) tasks.set(t.id, { ...t, createdAt: now(), group: "", latencyMs: 0, polls: 0, finishedAt: null });
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
      return json(res, 200, { now: now() });
    }
    if (kind === "groups" && id) return json(res, 200, { maxInFlight: inFlight.get(id)?.max ?? 0 });
    if (kind === "faults" && req.method === "PUT") {
      faults = { ...NO_FAULTS, ...JSON.parse(await readBody(req)) };
      return json(res, 200, faults);
    }
    if (kind === "stats") return json(res, 200, stats);
    return undefined;
  }

  return {
    now,
    serveApi,
    serveControl,
    addTimelineTask,
    dataOf,
    setFaults: (next: Partial<Faults>) => (faults = { ...NO_FAULTS, ...next }),
    stats: () => stats,
    task: (id: string) => tasks.get(id),
    releaseHanging: () => {
      for (const res of hanging) res.destroy();
      hanging.clear();
    },
  };
}

export type KlingSimulator = ReturnType<typeof createKlingSimulator>;
