import { spawn } from "node:child_process";

/** What a wrangler command printed, and how it ended. */
export interface WranglerResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** A failed step: `npm run deploy` prints its message (naming the step) and exits 1. */
export class StepError extends Error {
  constructor(
    readonly step: string,
    message: string,
  ) {
    super(message);
  }
}

/** How wrangler is run: in the project's folder, with an environment (whose PATH finds it). */
export interface WranglerOptions {
  cwd: string;
  env: Record<string, string | undefined>;
  input?: string;
}

/**
 * Runs `wrangler` (the first on `env`'s PATH: node_modules/.bin under `npm run`) with `args`, never
 * through a shell. `input`, when given, is written to its stdin: the only way a secret value is
 * handed to it, so none is ever in an argument list (which `ps` shows to every user). Without
 * `input` stdin is closed: wrangler then takes its non-interactive defaults (it confirms a
 * migration by itself) instead of waiting at a prompt.
 */
export function runWrangler(args: string[], options: WranglerOptions): Promise<WranglerResult> {
  return new Promise((resolve, reject) => {
    const child = spawn("wrangler", args, {
      stdio: [options.input === undefined ? "ignore" : "pipe", "pipe", "pipe"],
      cwd: options.cwd,
      env: options.env as NodeJS.ProcessEnv,
    });
    let stdout = "";
    let stderr = "";
    child.stdout?.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr?.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? 1, stdout, stderr }));
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}

/** The last lines wrangler printed, to show under a failed step's message. */
export const tail = ({ stdout, stderr }: WranglerResult, lines = 15) =>
  `${stdout}\n${stderr}`
    .split("\n")
    .filter((line) => line.trim())
    .slice(-lines)
    .map((line) => `    ${line}`)
    .join("\n");

/** Runs wrangler for `step`; a non-zero exit fails the step with wrangler's last lines. */
export async function wranglerStep(step: string, args: string[], options: WranglerOptions) {
  const result = await runWrangler(args, options).catch((error: Error) => {
    throw new StepError(step, `could not run wrangler (${error.message}): run this through \`npm run deploy\``);
  });
  if (result.code !== 0) throw new StepError(step, `\`wrangler ${args.join(" ")}\` exited with ${result.code}:\n${tail(result)}`);
  return result;
}

/** Parses the JSON a `--json` / `--format json` command printed (the last JSON value: wrangler may print a banner first). */
export function parseJsonOutput<T>(step: string, result: WranglerResult): T {
  const start = result.stdout.search(/^[[{]/m);
  try {
    return JSON.parse(result.stdout.slice(Math.max(start, 0))) as T;
  } catch {
    throw new StepError(step, `wrangler printed no JSON:\n${tail(result)}`);
  }
}
