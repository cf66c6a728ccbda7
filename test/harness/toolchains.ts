/**
 * The toolchains three tests need beyond Node: Python 3, Go, PHP and Ruby for the verification
 * examples (test/e2e/verify-other-stacks.e2e.test.ts) and the docs' code blocks
 * (test/e2e/doc-snippets.e2e.test.ts), Chromium for the dashboard
 * (test/browser/dashboard.browser.test.ts). What is on this machine, how to get what is not, and
 * what a run does without it:
 * - ensure-toolchains.ts (run by `npm test`, `npm run test:e2e`, `npm run test:browser`) installs
 *   what is missing from Debian's apt when it can (apt-get on PATH, and root or a sudo that asks
 *   no password), as the quiet first step of a fresh machine;
 * - what still is missing skips the tests that need it (`it.skipIf`, counted as skipped in
 *   vitest's summary), and toolchain-reporter.ts prints one line per skipping file saying why and
 *   how to enable them;
 * - with `CI=true` a missing toolchain is an error instead: a CI run must run everything.
 * Every function takes the environment (PATH, CI, CHROMIUM_PATH) as an argument, so the tests
 * (test/node/toolchains.test.ts) decide on a fake PATH with a fake apt-get.
 */
import { spawnSync } from "node:child_process";
import { accessSync, constants, statSync } from "node:fs";
import path from "node:path";

export type Env = Record<string, string | undefined>;

/** For child_process (the generated Env declares settings as required in process.env's type). */
const processEnv = (env: Env) => env as NodeJS.ProcessEnv;

export const VERIFY_TEST = "test/e2e/verify-other-stacks.e2e.test.ts";
export const DOC_SNIPPETS_TEST = "test/e2e/doc-snippets.e2e.test.ts";
export const BROWSER_TEST = "test/browser/dashboard.browser.test.ts";

export interface Toolchain {
  name: string;
  /** Commands that provide it, looked up on PATH in this order. */
  commands: string[];
  /** A variable naming its executable, looked at first (where it is not on PATH, as on macOS). */
  pathVariable?: string;
  /** Debian's package of it. */
  aptPackage: string;
  /** The test files that need it. */
  neededBy: string[];
}

export const TOOLCHAINS = {
  python3: { name: "python3", commands: ["python3"], aptPackage: "python3", neededBy: [VERIFY_TEST, DOC_SNIPPETS_TEST] },
  go: { name: "go", commands: ["go"], aptPackage: "golang-go", neededBy: [VERIFY_TEST, DOC_SNIPPETS_TEST] },
  // Debian's php-cli brings sodium, with which examples/verify/verify.php checks v1a.
  php: { name: "php", commands: ["php"], aptPackage: "php-cli", neededBy: [VERIFY_TEST, DOC_SNIPPETS_TEST] },
  ruby: { name: "ruby", commands: ["ruby"], aptPackage: "ruby", neededBy: [VERIFY_TEST, DOC_SNIPPETS_TEST] },
  chromium: {
    name: "chromium",
    commands: ["chromium", "chromium-browser"],
    pathVariable: "CHROMIUM_PATH",
    aptPackage: "chromium",
    neededBy: [BROWSER_TEST],
  },
} satisfies Record<string, Toolchain>;

export type ToolchainName = keyof typeof TOOLCHAINS;
export const ALL_TOOLCHAINS = Object.keys(TOOLCHAINS) as ToolchainName[];

/** `CI` set to anything but "", "0" or "false" (GitHub Actions, GitLab and most CIs set CI=true). */
export function isCI(env: Env): boolean {
  const ci = env.CI?.trim().toLowerCase();
  return ci !== undefined && ci !== "" && ci !== "0" && ci !== "false";
}

function isExecutableFile(file: string): boolean {
  try {
    if (!statSync(file).isFile()) return false;
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The first executable `command` in env.PATH's directories, as `command -v` finds it. */
export function findOnPath(command: string, env: Env): string | undefined {
  for (const dir of (env.PATH ?? "").split(path.delimiter)) {
    if (dir === "") continue;
    const file = path.join(dir, command);
    if (isExecutableFile(file)) return file;
  }
  return undefined;
}

/** The toolchain's executable: its variable's, when that names one, else the first command on PATH. */
export function findToolchain(name: ToolchainName, env: Env): string | undefined {
  const toolchain: Toolchain = TOOLCHAINS[name];
  const named = toolchain.pathVariable ? env[toolchain.pathVariable] : undefined;
  if (named && isExecutableFile(named)) return named;
  for (const command of toolchain.commands) {
    const found = findOnPath(command, env);
    if (found) return found;
  }
  return undefined;
}

export function missingToolchains(names: readonly ToolchainName[], env: Env): ToolchainName[] {
  return names.filter((name) => findToolchain(name, env) === undefined);
}

/** The names of a list, "a", "a and b", "a, b and c". */
function listed(items: readonly string[]): string {
  return items.length < 2 ? items.join("") : `${items.slice(0, -1).join(", ")} and ${items.at(-1)}`;
}

/** How to get them: Debian's command, or PATH (or the toolchain's variable). */
export function howToEnable(names: readonly ToolchainName[]): string {
  const toolchains: Toolchain[] = names.map((name) => TOOLCHAINS[name]);
  const it = names.length === 1 ? "it" : "them";
  const variables = toolchains.flatMap((toolchain) => (toolchain.pathVariable ? [toolchain.pathVariable] : []));
  const elsewhere = variables.length > 0 ? `put ${it} on PATH or set ${listed(variables)}` : `put ${it} on PATH`;
  return `install ${it} with \`sudo apt-get install ${toolchains.map((toolchain) => toolchain.aptPackage).join(" ")}\` (Debian, Ubuntu), or ${elsewhere}`;
}

/** The test files that need these toolchains, each with the ones it lacks. */
export function byTestFile(names: readonly ToolchainName[]): Map<string, ToolchainName[]> {
  const files = new Map<string, ToolchainName[]>();
  for (const name of names) for (const file of TOOLCHAINS[name].neededBy) files.set(file, [...(files.get(file) ?? []), name]);
  return files;
}

/** The one line for a test file whose tests are skipped for want of toolchains. */
export function skipLine(file: string, names: readonly ToolchainName[], skippedTests: number): string {
  const tests = `${skippedTests} test${skippedTests === 1 ? "" : "s"}`;
  return `skipped: ${tests} of ${file}: ${listed(names)} not found; ${howToEnable(names)}`;
}

/** The line that stops a CI run, for a test file that lacks toolchains. */
export function ciErrorLine(file: string, names: readonly ToolchainName[], why?: string): string {
  return `error: ${file} needs ${listed(names)}, not found${why ? ` (${why})` : ""}; ${howToEnable(names)}. CI=true: a missing toolchain fails the run instead of skipping its tests`;
}

/** How to run apt-get here, or why it cannot run. */
export type Installer = { argv: string[] } | { unavailable: string };

/** Whether sudo runs without asking a password (`sudo -n true`). */
export function sudoAsksNoPassword(sudo: string, env: Env): boolean {
  return spawnSync(sudo, ["-n", "true"], { env: processEnv(env), stdio: "ignore", timeout: 10_000 }).status === 0;
}

export function findInstaller(env: Env, uid: number, canSudo: (sudo: string, env: Env) => boolean = sudoAsksNoPassword): Installer {
  const aptGet = findOnPath("apt-get", env);
  if (!aptGet) return { unavailable: "no apt-get here" };
  if (uid === 0) return { argv: [aptGet] };
  const sudo = findOnPath("sudo", env);
  if (!sudo) return { unavailable: "not root, and no sudo" };
  if (!canSudo(sudo, env)) return { unavailable: "not root, and sudo asks for a password" };
  return { argv: [sudo, "-n", aptGet] };
}

/** Runs a command to its end: whether it succeeded, and what it printed (stdout and stderr). */
export type Run = (argv: string[], env: Env) => { ok: boolean; output: string };

const runCommand: Run = (argv, env) => {
  // apt-get's own timeouts end a download that hangs; this ends anything else that does.
  const result = spawnSync(argv[0]!, argv.slice(1), {
    env: processEnv(env),
    encoding: "utf8",
    timeout: 15 * 60_000,
    killSignal: "SIGKILL",
  });
  const output = `${result.stdout ?? ""}${result.stderr ?? ""}${result.error ? `${result.error.message}\n` : ""}`;
  return { ok: result.status === 0, output };
};

export interface EnsureOptions {
  names: readonly ToolchainName[];
  env: Env;
  uid: number;
  log: (line: string) => void;
  canSudo?: (sudo: string, env: Env) => boolean;
  run?: Run;
}

export interface EnsureResult {
  /** What is still missing afterwards (the tests that need it skip, or fail under CI=true). */
  missing: ToolchainName[];
  /** Non-zero when something is missing and CI=true. */
  exitCode: number;
}

/** The last line apt-get printed that says something ("E: Unable to locate package ..."). */
function lastWords(output: string): string {
  const lines = output
    .split("\n")
    .map((line) => line.trim())
    .filter(Boolean);
  return lines.findLast((line) => /^(E|Err):/.test(line)) ?? lines.at(-1) ?? "no output";
}

/**
 * Installs the missing toolchains with apt-get when it can, quietly (apt's output is shown only
 * when it fails), and says what is still missing only when that is an error (CI=true) or an
 * install that was tried failed: a machine without apt or root hears it once, from the test run
 * that skips (toolchain-reporter.ts), not here too.
 */
export function ensureToolchains({ names, env, uid, log, canSudo, run = runCommand }: EnsureOptions): EnsureResult {
  let missing = missingToolchains(names, env);
  if (missing.length === 0) return { missing, exitCode: 0 };
  const installer = findInstaller(env, uid, canSudo);
  let why: string | undefined;
  if ("argv" in installer) {
    const packages = missing.map((name) => TOOLCHAINS[name].aptPackage);
    const files = [...byTestFile(missing).keys()];
    log(`Installing Debian's ${packages.join(" ")} for ${listed(files)} (apt-get)...`);
    const aptEnv = { ...env, DEBIAN_FRONTEND: "noninteractive" };
    const update = run([...installer.argv, "update", "-qq"], aptEnv);
    const install = update.ok
      ? run([...installer.argv, "install", "-y", "-qq", "--no-install-recommends", ...packages], aptEnv)
      : { ok: false, output: update.output };
    missing = missingToolchains(names, env);
    if (!install.ok) why = `apt-get failed: ${lastWords(install.output)}`;
    else if (missing.length > 0) why = `apt-get installed ${missing.length === 1 ? "it" : "them"}, but not on PATH`;
    if (why && missing.length > 0 && !isCI(env)) log(`could not install ${listed(missing)}: ${why}`);
  } else {
    why = installer.unavailable;
  }
  if (missing.length === 0 || !isCI(env)) return { missing, exitCode: 0 };
  for (const [file, lacking] of byTestFile(missing)) log(ciErrorLine(file, lacking, why));
  return { missing, exitCode: 1 };
}
