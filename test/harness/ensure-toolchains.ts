/**
 * `tsx test/harness/ensure-toolchains.ts [NAME...]`: installs from Debian's apt the toolchains
 * the e2e and browser tests need (all of toolchains.ts's, or those named) when they are missing
 * and this machine can (toolchains.ts says how it decides). Exits non-zero only under CI=true
 * with one of them still missing; otherwise the tests that need it skip, saying why.
 * `npm test` runs it once for all, before the e2e and browser runs, and sets TOOLCHAINS_ENSURED=1
 * for them: their own runs of it (`npm run test:e2e`, `test:browser`) then do nothing, rather than
 * try apt-get again for what it could not install a minute before.
 */
import { ALL_TOOLCHAINS, ensureToolchains, TOOLCHAINS, type ToolchainName } from "./toolchains.ts";

if (process.env.TOOLCHAINS_ENSURED === "1") process.exit(0);

const asked = process.argv.slice(2);
const unknown = asked.filter((name) => !(name in TOOLCHAINS));
if (unknown.length > 0) {
  console.error(`unknown toolchain ${unknown.join(", ")}; known: ${ALL_TOOLCHAINS.join(", ")}`);
  process.exit(2);
}
const { exitCode } = ensureToolchains({
  names: asked.length > 0 ? (asked as ToolchainName[]) : ALL_TOOLCHAINS,
  env: process.env,
  uid: process.getuid?.() ?? -1,
  log: (line) => console.log(line),
});
process.exitCode = exitCode;
