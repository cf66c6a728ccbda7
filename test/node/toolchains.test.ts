/**
 * What the e2e and browser runs do about a missing toolchain (test/harness/toolchains.ts), decided
 * on a fake PATH: a folder holding only the executables a case puts there (a toolchain, a fake
 * apt-get that records its calls and installs or fails, a fake sudo), so nothing real is
 * uninstalled and no real apt-get runs.
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  DOC_SNIPPETS_TEST,
  type Env,
  ensureToolchains,
  findInstaller,
  findToolchain,
  howToEnable,
  isCI,
  missingToolchains,
  skipLine,
  VERIFY_TEST,
} from "../harness/toolchains.ts";

let bin: string;
let calls: string;
let lines: string[];
const log = (line: string) => lines.push(line);

function executable(name: string, script = "#!/bin/sh\nexit 0\n") {
  const file = path.join(bin, name);
  writeFileSync(file, script);
  chmodSync(file, 0o755);
  return file;
}

/** A fake apt-get: records each call; `install` puts the asked packages' commands on the fake PATH. */
function fakeAptGet({ offline = false } = {}) {
  const commandOf: Record<string, string> = { "golang-go": "go", "php-cli": "php", python3: "python3", ruby: "ruby", chromium: "chromium" };
  const installs = Object.entries(commandOf)
    .map(([pkg, command]) => `    ${pkg}) printf '#!/bin/sh\\n' > "${bin}/${command}"; /bin/chmod +x "${bin}/${command}" ;;`)
    .join("\n");
  executable(
    "apt-get",
    `#!/bin/sh
echo "$*" >> "${calls}"
${offline ? `echo "Err:1 http://deb.debian.org/debian bookworm InRelease" >&2\necho "E: Temporary failure resolving 'deb.debian.org'" >&2\nexit 100` : ""}
[ "$1" = install ] || exit 0
for arg in "$@"; do
  case "$arg" in
${installs}
  esac
done
`,
  );
}

/** A sudo that runs what it is given, without a password (-n), as on a CI machine. */
function fakeSudo() {
  executable("sudo", '#!/bin/sh\n[ "$1" = "-n" ] || exit 1\nshift\n[ "$1" = true ] && exit 0\nexec "$@"\n');
}

const recordedCalls = () => readFileSync(calls, "utf8").trim().split("\n");

beforeEach(() => {
  bin = mkdtempSync(path.join(tmpdir(), "toolchains-"));
  calls = path.join(bin, "..", `${path.basename(bin)}-apt-calls.log`);
  writeFileSync(calls, "");
  lines = [];
});

afterEach(() => {
  rmSync(bin, { recursive: true, force: true });
  rmSync(calls, { force: true });
});

describe("finding a toolchain", () => {
  it("finds an executable on PATH, not a file that cannot run, and Chromium by CHROMIUM_PATH or its Fedora name", () => {
    const env: Env = { PATH: `/nonexistent${path.delimiter}${bin}` };
    expect(findToolchain("go", env)).toBeUndefined();
    const go = executable("go");
    expect(findToolchain("go", env)).toBe(go);
    writeFileSync(path.join(bin, "php"), "not executable");
    expect(findToolchain("php", env)).toBeUndefined();
    expect(missingToolchains(["go", "php", "ruby"], env)).toEqual(["php", "ruby"]);

    const fedora = executable("chromium-browser");
    expect(findToolchain("chromium", env)).toBe(fedora);
    const elsewhere = executable("Chromium.app-binary");
    expect(findToolchain("chromium", { ...env, CHROMIUM_PATH: elsewhere })).toBe(elsewhere);
    expect(findToolchain("chromium", { PATH: "/nonexistent", CHROMIUM_PATH: path.join(bin, "missing") })).toBeUndefined();
  });

  it("reads CI as CI services set it", () => {
    expect([undefined, "", "0", "false", "FALSE"].map((CI) => isCI({ CI }))).toEqual([false, false, false, false, false]);
    expect(["true", "1", "yes"].map((CI) => isCI({ CI }))).toEqual([true, true, true]);
  });
});

describe("the line a skipping run prints", () => {
  it("names the file, the count, what is missing and how to get it", () => {
    expect(skipLine(VERIFY_TEST, ["go"], 2)).toBe(
      "skipped: 2 tests of test/e2e/verify-other-stacks.e2e.test.ts: go not found; install it with `sudo apt-get install golang-go` (Debian, Ubuntu), or put it on PATH",
    );
    expect(howToEnable(["php", "ruby"])).toBe(
      "install them with `sudo apt-get install php-cli ruby` (Debian, Ubuntu), or put them on PATH",
    );
    expect(howToEnable(["chromium"])).toContain("or put it on PATH or set CHROMIUM_PATH");
  });
});

describe("ensureToolchains", () => {
  it("does nothing, silently, when every toolchain is there", () => {
    for (const name of ["python3", "go", "php", "ruby"]) executable(name);
    fakeAptGet();
    const result = ensureToolchains({ names: ["python3", "go", "php", "ruby"], env: { PATH: bin }, uid: 0, log });
    expect(result).toEqual({ missing: [], exitCode: 0 });
    expect(lines).toEqual([]);
    expect(readFileSync(calls, "utf8")).toBe("");
  });

  it("installs what is missing with apt-get as root, quietly, and then finds it", () => {
    executable("python3");
    fakeAptGet();
    const result = ensureToolchains({ names: ["python3", "go", "php"], env: { PATH: bin }, uid: 0, log });
    expect(result).toEqual({ missing: [], exitCode: 0 });
    expect(recordedCalls()).toEqual(["update -qq", "install -y -qq --no-install-recommends golang-go php-cli"]);
    expect(lines).toEqual([`Installing Debian's golang-go php-cli for ${VERIFY_TEST} and ${DOC_SNIPPETS_TEST} (apt-get)...`]);
  });

  it("goes through sudo -n when not root, and not at all when sudo would ask for a password", () => {
    fakeAptGet();
    fakeSudo();
    const env: Env = { PATH: bin };
    expect(findInstaller(env, 1000)).toEqual({ argv: [path.join(bin, "sudo"), "-n", path.join(bin, "apt-get")] });
    expect(findInstaller(env, 1000, () => false)).toEqual({ unavailable: "not root, and sudo asks for a password" });

    expect(ensureToolchains({ names: ["ruby"], env, uid: 1000, log })).toEqual({ missing: [], exitCode: 0 });
    expect(recordedCalls()).toEqual(["update -qq", "install -y -qq --no-install-recommends ruby"]);
  });

  it("without apt-get: the tests skip (nothing said here: the run says it), or under CI=true it fails, saying why and how", () => {
    expect(ensureToolchains({ names: ["go", "chromium"], env: { PATH: bin }, uid: 0, log })).toEqual({
      missing: ["go", "chromium"],
      exitCode: 0,
    });
    expect(lines).toEqual([]);

    const ci = ensureToolchains({ names: ["go", "chromium"], env: { PATH: bin, CI: "true" }, uid: 0, log });
    expect(ci).toEqual({ missing: ["go", "chromium"], exitCode: 1 });
    expect(lines).toEqual([
      "error: test/e2e/verify-other-stacks.e2e.test.ts needs go, not found (no apt-get here); install it with `sudo apt-get install golang-go` (Debian, Ubuntu), or put it on PATH. CI=true: a missing toolchain fails the run instead of skipping its tests",
      "error: test/e2e/doc-snippets.e2e.test.ts needs go, not found (no apt-get here); install it with `sudo apt-get install golang-go` (Debian, Ubuntu), or put it on PATH. CI=true: a missing toolchain fails the run instead of skipping its tests",
      "error: test/browser/dashboard.browser.test.ts needs chromium, not found (no apt-get here); install it with `sudo apt-get install chromium` (Debian, Ubuntu), or put it on PATH or set CHROMIUM_PATH. CI=true: a missing toolchain fails the run instead of skipping its tests",
    ]);
  });

  it("offline, says in one line that apt-get failed and why, and fails only under CI=true", () => {
    fakeAptGet({ offline: true });
    fakeSudo();
    expect(ensureToolchains({ names: ["go"], env: { PATH: bin }, uid: 1000, log })).toEqual({ missing: ["go"], exitCode: 0 });
    expect(recordedCalls()).toEqual(["update -qq"]);
    expect(lines).toEqual([
      `Installing Debian's golang-go for ${VERIFY_TEST} and ${DOC_SNIPPETS_TEST} (apt-get)...`,
      "could not install go: apt-get failed: E: Temporary failure resolving 'deb.debian.org'",
    ]);

    lines = [];
    expect(ensureToolchains({ names: ["go"], env: { PATH: bin, CI: "true" }, uid: 1000, log }).exitCode).toBe(1);
    expect(lines.at(-1)).toMatch(
      /^error: .* needs go, not found \(apt-get failed: E: Temporary failure resolving 'deb\.debian\.org'\); install it/,
    );
  });
});
