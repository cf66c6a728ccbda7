/**
 * Copies Scalar's standalone API reference bundle (@scalar/api-reference, 4.35 MB: too big to
 * commit) from node_modules into the Worker's static assets folder, public/ (gitignored), where
 * `/docs` loads it from: `/docs/scalar/standalone.js`. wrangler.toml's `[build] command` runs this
 * before every `wrangler dev` and `wrangler deploy`; the Workers test pools' global setups run it
 * too (the pool serves `[assets]` but does not run the build command). Plain Node, no dependency: it runs before
 * anything else is built. A copy that is already up to date is left alone, so that `wrangler dev`
 * (which reruns the build on every change under src/) sees no asset change.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import path from "node:path";

const ROOT = path.resolve(import.meta.dirname, "..");
const SOURCE = path.join(ROOT, "node_modules/@scalar/api-reference/dist/browser/standalone.js");
const TARGET = path.join(ROOT, "public/docs/scalar/standalone.js");

if (!existsSync(SOURCE)) {
  console.error(`scalar-assets: ${SOURCE} is missing: run npm install`);
  process.exit(1);
}
if (!existsSync(TARGET) || !readFileSync(SOURCE).equals(readFileSync(TARGET))) {
  mkdirSync(path.dirname(TARGET), { recursive: true });
  copyFileSync(SOURCE, TARGET);
}
