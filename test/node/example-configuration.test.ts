import { readFileSync } from "node:fs";
import path from "node:path";
import { parseEnv } from "node:util";
import { describe, expect, it } from "vitest";
import { unstable_readConfig } from "wrangler";
import { loadConfig, pollableProviders } from "../../src/config";
import type { Env } from "../../src/env";

const ROOT = path.resolve(import.meta.dirname, "../..");

/** The vars of wrangler.toml's top level, or of its `[env.<name>]`, as wrangler reads them. */
const varsOf = (environment?: string) =>
  unstable_readConfig({ config: path.join(ROOT, "wrangler.toml"), env: environment }, { hideWarnings: true }).vars as Record<
    string,
    string
  >;

/** .dev.vars.example as wrangler dev would read it once copied to .dev.vars. */
const devVarsExample = () => parseEnv(readFileSync(path.join(ROOT, ".dev.vars.example"), "utf8")) as Record<string, string>;

describe("the example configuration passes the relay's own validation", () => {
  it.each([
    ["the default deploy", undefined],
    ["[env.queues]", "queues"],
  ])("wrangler.toml's vars of %s", (_, environment) => {
    const vars = varsOf(environment);
    expect(Object.keys(vars)).toContain("POLL_MIN_INTERVAL_SECONDS");
    expect(() => loadConfig({ ...vars } as unknown as Env)).not.toThrow();
  });

  it(".dev.vars.example over wrangler.toml's vars, as `npm run dev` reads them: CometAPI's tasks are polled", () => {
    const env = { ...varsOf(), ...devVarsExample() } as unknown as Env;
    expect(Object.keys(devVarsExample())).toEqual(expect.arrayContaining(["RELAY_API_KEYS", "WEBHOOK_SECRETS", "COMETAPI_KEY"]));
    expect(pollableProviders(loadConfig(env))).toContain("cometapi");
  });
});
