/**
 * Keeps workerd's expected noise out of the test output. Tests make loopback peers reset or
 * refuse connections on purpose (a dropped upstream connection, a receiver that is gone, chaos, a
 * copy cut short by the tick's deadline);
 * the relay catches the failed fetch, but workerd still logs each one as an "uncaught exception"
 * with a stack of addresses, hundreds of lines that read as failures. The Workers pool writes
 * workerd's log to this process's stdout/stderr one message at a time; a message made only of
 * those known lines is appended to .tmp/workerd-noise.log instead (each line tagged with the
 * run's pid, as runs in one working tree may overlap; the file is set aside as
 * workerd-noise.old.log past 10 MB), and one line at the end of the run says how many. Anything
 * else workerd prints (any other error) still shows, untouched.
 */
import { appendFileSync, existsSync, mkdirSync, renameSync, statSync } from "node:fs";
import path from "node:path";
import type { Plugin } from "vitest/config";

const ROOT = path.resolve(import.meta.dirname, "../..");

/** The lines of a connection reset or refused on loopback, as workerd logs them. */
const NOISE: RegExp[] = [
  /^uncaught exception; source = Uncaught \(in promise\); stack = Error: Network connection lost\.$/,
  /^uncaught exception; exception = workerd\/jsg\/value\.h:\d+: disconnected: jsg\.Error: Network connection lost\.$/,
  /^exception = rust\/worker\/ffi\.rs:\d+: disconnected: (Connection refused \(os error 111\)|client error \(SendRequest\))$/,
  // A part of an archive copy that the tick's deadline stops half way (the body cancelled, its
  // FixedLengthStream left short: test/archive-copy.test.ts's real-clock tests); the copy resumes
  // from its last whole part (src/archive/copy-file.ts).
  /^exception = kj\/async-io\.c\+\+:\d+: disconnected: fixed-length pipe ended prematurely$/,
  // A host that does not resolve (`.invalid`) and TLS spoken to a plain loopback server
  // (test/upstream/network-failures.test.ts): workerd's Rust layer, then the "internal error" it throws.
  /^(?:exception|e) = rust\/worker\/ffi\.rs:\d+: failed: (failed to lookup address information: Name or service not known|TLS handshake failed: received corrupt message of type InvalidContentType)$/,
  /^uncaught exception; source = Uncaught \(in promise\); stack = Error: internal error; reference = \w+$/,
  /^uncaught exception; exception = workerd\/jsg\/value\.h:\d+: failed: jsg\.Error: internal error; reference = \w+$/,
];
/** workerd's unsymbolized stack line, which follows such a line in the same message. */
const STACK = /^stack:( \S+@[0-9a-f]+)+(; sentryErrorContext = \w+; wdErrId = \w+)?$/;
// eslint-disable-next-line no-control-regex
// biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI colour codes start with ESC.
const ANSI = /\x1b\[[0-9;]*m/g;

/** True when every line of this write is one of the known lines (a stack line only after one). */
export function isWorkerdNoise(text: string): boolean {
  const lines = text
    .replace(ANSI, "")
    .split("\n")
    .filter((line) => line.trim() !== "");
  if (lines.length === 0) return false;
  let afterNoise = false;
  for (const line of lines) {
    if (NOISE.some((pattern) => pattern.test(line))) afterNoise = true;
    else if (!(afterNoise && STACK.test(line))) return false;
  }
  return true;
}

const LOG = path.join(ROOT, ".tmp", "workerd-noise.log");
const ROTATE_AT_BYTES = 10 * 1024 * 1024;

export function workerdNoiseFilter(): Plugin {
  let lines = 0;
  let installed = false;
  let reported = false;
  const tag = `[${process.pid}] `;
  const install = (configFile: string | undefined) => {
    if (installed) return;
    installed = true;
    mkdirSync(path.dirname(LOG), { recursive: true });
    if (existsSync(LOG) && statSync(LOG).size > ROTATE_AT_BYTES) renameSync(LOG, LOG.replace(/\.log$/, ".old.log"));
    appendFileSync(LOG, `${tag}--- ${new Date().toISOString()} vitest --config ${path.relative(ROOT, configFile ?? "?")}\n`);
    for (const stream of [process.stdout, process.stderr]) {
      const write = stream.write.bind(stream) as (...args: unknown[]) => boolean;
      stream.write = ((chunk: unknown, ...rest: unknown[]) => {
        const text = typeof chunk === "string" ? chunk : chunk instanceof Uint8Array ? Buffer.from(chunk).toString("utf8") : null;
        if (text === null || !isWorkerdNoise(text)) return write(chunk, ...rest);
        const entry = text.split("\n").filter((line) => line.trim() !== "");
        appendFileSync(LOG, entry.map((line) => `${tag}${line}\n`).join(""));
        lines += entry.length;
        // Keep the stream contract: a callback, when given, is called.
        const callback = rest.find((arg) => typeof arg === "function") as (() => void) | undefined;
        callback?.();
        return true;
      }) as typeof stream.write;
    }
  };
  return {
    name: "kling-relay:workerd-noise",
    configResolved(config) {
      install(config.configFile);
    },
    configureVitest({ vitest }) {
      vitest.onClose(() => {
        if (reported) return;
        reported = true;
        if (lines > 0)
          process.stdout.write(
            `${lines} expected connection-reset lines from workerd written to ${path.relative(ROOT, LOG)} (tagged [${process.pid}])\n`,
          );
      });
    },
  };
}
