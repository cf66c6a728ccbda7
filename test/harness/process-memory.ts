/**
 * The resident memory of the workerd process a benchmark runs in, read from the Node side (code
 * inside workerd cannot see its process). Linux only: /proc.
 *
 * Which process: the one holding the client end of the TCP connection a request came in on. A
 * benchmark asks the loopback network (`POST /_bench/memory/start`), the server looks up the
 * request's client port in /proc/net/tcp (its socket's inode), then the process among this user's
 * workerd processes with that socket among its file descriptors. No guess from process names or
 * trees: several workerd processes may be alive (one per test file, wrangler's own).
 *
 * What: `VmRSS` sampled every few milliseconds, and `VmHWM` (the kernel's exact peak of the
 * resident set) after resetting it with `echo 5 > /proc/{pid}/clear_refs` at the start. Each
 * sample also notes `progress()` (the simulator's media bytes served), so a window tells how the
 * peak grew as the bytes went by: flat once the runtime warmed up, or with the bytes.
 */
import { readdirSync, readFileSync, readlinkSync, writeFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { readBody } from "../../tools/http-helpers.ts";
import type { MemoryWindow } from "../support/bench-table.ts";

const SAMPLE_EVERY_MS = 5;

/** The inode of the socket whose local end is 127.0.0.1:`port` (IPv4 or IPv4-mapped IPv6), or null. */
function socketInode(port: number): string | null {
  const hexPort = port.toString(16).toUpperCase().padStart(4, "0");
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text: string;
    try {
      text = readFileSync(table, "utf8");
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      const fields = line.trim().split(/\s+/);
      // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode. A closed
      // connection that used the same port lingers in TIME_WAIT with inode 0: not the one asking
      // (after other benchmarks' many connections, one often comes first).
      if (fields.length > 9 && fields[1]!.endsWith(`:${hexPort}`) && fields[9] !== "0") return fields[9]!;
    }
  }
  return null;
}

/** The workerd process holding socket `inode` among its file descriptors, or null. */
function processWithSocket(inode: string): number | null {
  const target = `socket:[${inode}]`;
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, "utf8").trim() !== "workerd") continue;
      for (const fd of readdirSync(`/proc/${entry}/fd`)) {
        try {
          if (readlinkSync(`/proc/${entry}/fd/${fd}`) === target) return Number(entry);
        } catch {
          // closed meanwhile
        }
      }
    } catch {
      // gone, or not ours
    }
  }
  return null;
}

/** `VmRSS`, `VmHWM` and the resident set's parts (`RssAnon`: heap and stacks; `RssFile`: mapped files) of `pid`, in bytes. */
export function memoryOf(pid: number): { rss: number; hwm: number; anon: number; file: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? Number.NaN) * 1024;
  return { rss: kb("VmRSS"), hwm: kb("VmHWM"), anon: kb("RssAnon"), file: kb("RssFile") };
}

/** A sample: the progress since the start, and the resident set then. */
interface Sample {
  progress: number;
  rss: number;
  anon: number;
}

/**
 * The `/_bench/memory/{start|stop}` routes: `start` finds the workerd that sent the request, resets
 * its peak and samples it until `stop`, which answers a MemoryWindow. One window at a time.
 */
export function createMemoryProbe(progress: () => number = () => 0) {
  let window: { pid: number; startProgress: number; samples: Sample[]; timer: NodeJS.Timeout } | null = null;

  const end = () => {
    if (window) clearInterval(window.timer);
    window = null;
  };
  const peakOf = (samples: Sample[], field: "rss" | "anon") => samples.reduce((peak, s) => Math.max(peak, s[field]), 0);

  async function serve(req: IncomingMessage, res: ServerResponse, what: string) {
    const answer = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    if (what === "start") {
      end();
      const inode = socketInode(req.socket.remotePort ?? 0);
      const pid = inode === null ? null : processWithSocket(inode);
      if (pid === null) return answer(500, { error: "no workerd process holds the connection this request came in on" });
      writeFileSync(`/proc/${pid}/clear_refs`, "5");
      const startProgress = progress();
      const { rss, anon } = memoryOf(pid);
      const current = { pid, startProgress, samples: [{ progress: 0, rss, anon }], timer: setInterval(() => sample(), SAMPLE_EVERY_MS) };
      const sample = () => {
        try {
          const { rss, anon } = memoryOf(pid);
          current.samples.push({ progress: progress() - startProgress, rss, anon });
        } catch {
          clearInterval(current.timer);
        }
      };
      window = current;
      return answer(200, { pid, startRss: rss });
    }
    if (what === "stop") {
      if (!window) return answer(409, { error: "no memory window open" });
      const { pid, samples } = window;
      const last = memoryOf(pid);
      samples.push({ progress: progress() - window.startProgress, rss: last.rss, anon: last.anon });
      const asked = (JSON.parse((await readBody(req)) || "{}") as { checkpoints?: number[] }).checkpoints ?? [];
      const peakBy = asked.map((checkpoint) => {
        const before = samples.filter((s) => s.progress <= checkpoint);
        return { progress: checkpoint, rss: peakOf(before, "rss"), anon: peakOf(before, "anon") };
      });
      const result: MemoryWindow = {
        pid,
        startRss: samples[0]!.rss,
        startAnon: samples[0]!.anon,
        peakRss: last.hwm,
        peakSampledRss: peakOf(samples, "rss"),
        peakSampledAnon: peakOf(samples, "anon"),
        endRss: last.rss,
        samples: samples.length,
        peakBy,
      };
      end();
      return answer(200, result);
    }
    return answer(404, { error: "POST /_bench/memory/start or /_bench/memory/stop" });
  }

  return { serve, close: end };
}
