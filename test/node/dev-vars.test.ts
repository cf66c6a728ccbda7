import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseEnv } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import { unstable_readConfig } from "wrangler";
import { loadConfig, pollableProviders } from "../../src/config";
import type { Env } from "../../src/env";
import { devVarsText, generateSecrets, isPlainEnvValue, writeDevVarsOnce } from "../../tools/dev-vars";

const ROOT = path.resolve(import.meta.dirname, "../..");
const vars = unstable_readConfig({ config: path.join(ROOT, "wrangler.toml") }, { hideWarnings: true }).vars as Record<string, string>;

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
const freshFile = () => {
  const dir = mkdtempSync(path.join(tmpdir(), "dev-vars-test-"));
  dirs.push(dir);
  return path.join(dir, ".dev.vars");
};

/** The file as `wrangler dev` reads it, over wrangler.toml's vars, through the relay's own validation. */
const configOf = (file: string) => loadConfig({ ...vars, ...parseEnv(readFileSync(file, "utf8")) } as unknown as Env);

describe("the .dev.vars the first `npm run dev` writes", () => {
  it("passes the relay's own validation, with every generated secret set and CometAPI polled", () => {
    const file = freshFile();
    const secrets = generateSecrets();
    expect(writeDevVarsOnce(file, devVarsText(secrets, "sk-test-upstream-key"))).toBe(true);
    const config = configOf(file);
    expect(config.relayApiKeys).toEqual([secrets.RELAY_API_KEYS]);
    expect(config.webhookSecrets).toEqual([secrets.WEBHOOK_SECRETS]);
    expect(config.adminApiKey).toBe(secrets.ADMIN_API_KEY);
    expect(config.secretsKeyring).not.toBeNull();
    expect(config.inboundToken).toBe(secrets.INBOUND_TOKEN);
    expect(config.archiveLinkSecrets).toEqual([secrets.ARCHIVE_LINK_SECRET]);
    expect(config.cometapiKey).toBe("sk-test-upstream-key");
    expect(pollableProviders(config)).toContain("cometapi");
    // The README's first webhook goes to a receiver on localhost.
    expect(config.allowInsecureCallbacks).toBe(true);
  });

  it("without the CometAPI key is valid too: CometAPI's tasks wait", () => {
    const file = freshFile();
    writeDevVarsOnce(file, devVarsText(generateSecrets(), null));
    expect(pollableProviders(configOf(file))).not.toContain("cometapi");
  });

  it("is readable by its owner alone, and never overwrites a .dev.vars", () => {
    const file = freshFile();
    writeDevVarsOnce(file, devVarsText(generateSecrets(), null));
    expect(statSync(file).mode & 0o777).toBe(0o600);

    writeFileSync(file, "RELAY_API_KEYS=the-users-own-key-0123456789\n");
    expect(writeDevVarsOnce(file, devVarsText(generateSecrets(), "sk-other"))).toBe(false);
    expect(readFileSync(file, "utf8")).toBe("RELAY_API_KEYS=the-users-own-key-0123456789\n");
  });

  it("generates fresh values each time, keys of 24+ characters and a whsec_ secret", () => {
    const [a, b] = [generateSecrets(), generateSecrets()];
    for (const name of Object.keys(a) as (keyof typeof a)[]) expect(a[name]).not.toBe(b[name]);
    expect(a.RELAY_API_KEYS.length).toBeGreaterThanOrEqual(24);
    expect(a.ADMIN_API_KEY.length).toBeGreaterThanOrEqual(24);
    expect(a.WEBHOOK_SECRETS).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
  });

  it("takes an upstream key only when it reads back as itself", () => {
    expect(isPlainEnvValue("sk-AbC123_xyz")).toBe(true);
    for (const key of ["sk-a b", "sk-a#b", 'sk-"a"', "sk-'a'", "", "sk-a\nRELAY_API_KEYS=x"]) expect(isPlainEnvValue(key)).toBe(false);
    expect(() => devVarsText(generateSecrets(), "sk-a#b")).toThrow();
  });
});
