/**
 * The Worker's isolate under `wrangler dev`, profiled through wrangler's inspector with the Chrome
 * DevTools Protocol (`Profiler.start`/`stop`), as Chrome DevTools would: plain JSON messages over
 * Node's WebSocket, no client library needed.
 */

export interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
}

/** V8's CPU profile: `samples[i]` is the node on top of the stack at the i-th sample, `timeDeltas[i]` µs after the one before. */
export interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface IsolateProfiler {
  /** Profiles the isolate while `run` runs: what it returned and the profile. */
  profile<T>(run: () => Promise<T>): Promise<{ result: T; profile: CpuProfile }>;
  close(): void;
}

/**
 * Connects to the inspector at `inspectorUrl` (wrangler dev's `--inspector-port`): its `/json`
 * names the WebSocket. wrangler's proxy wants an allowed Origin (the DevTools' own or localhost).
 * `samplingIntervalUs`: V8's sampling period (its default is 1000 µs, too coarse for a request).
 */
export async function connectIsolateProfiler(inspectorUrl: string, samplingIntervalUs = 100): Promise<IsolateProfiler> {
  const targets = (await (await fetch(`${inspectorUrl}/json`)).json()) as { webSocketDebuggerUrl: string }[];
  const target = targets[0];
  if (!target) throw new Error(`no inspector target at ${inspectorUrl}/json`);
  // Node's WebSocket is undici's, which takes headers (not in the DOM's type).
  const ws = new WebSocket(target.webSocketDebuggerUrl, { headers: { origin: "http://localhost" } } as unknown as string[]);
  await new Promise<void>((resolve, reject) => {
    ws.onopen = () => resolve();
    ws.onerror = () => reject(new Error(`cannot open the inspector's WebSocket ${target.webSocketDebuggerUrl}`));
  });
  let nextId = 0;
  const waiting = new Map<number, { resolve: (r: unknown) => void; reject: (e: Error) => void }>();
  ws.onmessage = (event) => {
    // Events (console lines, contexts) and the proxy's own exchanges are not ours: ignored.
    const message = JSON.parse(String(event.data)) as { id?: number; result?: unknown; error?: { message: string } };
    const waiter = message.id === undefined ? undefined : waiting.get(message.id);
    if (!waiter) return;
    waiting.delete(message.id!);
    if (message.error) waiter.reject(new Error(`inspector: ${message.error.message}`));
    else waiter.resolve(message.result);
  };
  const send = <R = unknown>(method: string, params: Record<string, unknown> = {}) =>
    new Promise<R>((resolve, reject) => {
      const id = ++nextId;
      waiting.set(id, { resolve: resolve as (r: unknown) => void, reject });
      ws.send(JSON.stringify({ id, method, params }));
    });
  await send("Profiler.enable");
  await send("Profiler.setSamplingInterval", { interval: samplingIntervalUs });
  return {
    async profile(run) {
      await send("Profiler.start");
      const stop = () => send<{ profile: CpuProfile }>("Profiler.stop");
      const result = await run().catch(async (error: unknown) => {
        await stop();
        throw error;
      });
      return { result, profile: (await stop()).profile };
    },
    close: () => ws.close(),
  };
}
