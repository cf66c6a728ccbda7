/** ARCHIVE_LINK_SECRET and ARCHIVE_LINK_TTL_SECONDS (src/config.ts). */
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/config";
import type { Env } from "../../src/env";

const envOf = (vars: Partial<Omit<Env, "DB">> = {}): Env => ({ DB: {} as D1Database, ...vars }) as Env;
const ONE = "archive-LEAKME-secret-one-0123456789";
const TWO = "archive-LEAKME-secret-two-0123456789";

function refusal(vars: Partial<Env>): Error | undefined {
  try {
    loadConfig(envOf(vars));
  } catch (error) {
    return error as Error;
  }
  return undefined;
}

describe("archive link configuration", () => {
  it("has no secret and a 7-day TTL by default", () => {
    expect(loadConfig(envOf())).toMatchObject({ archiveLinkSecrets: [], archiveLinkTtlSeconds: 604_800 });
    expect(loadConfig(envOf({ ARCHIVE_LINK_SECRET: " ", ARCHIVE_LINK_TTL_SECONDS: "" }))).toMatchObject({
      archiveLinkSecrets: [],
      archiveLinkTtlSeconds: 604_800,
    });
  });

  it("reads one secret, or two (whitespace-separated) during a rotation, and the TTL up to 30 days", () => {
    expect(loadConfig(envOf({ ARCHIVE_LINK_SECRET: ` ${ONE} ` })).archiveLinkSecrets).toEqual([ONE]);
    expect(loadConfig(envOf({ ARCHIVE_LINK_SECRET: `${TWO}\n  ${ONE}` })).archiveLinkSecrets).toEqual([TWO, ONE]);
    expect(loadConfig(envOf({ ARCHIVE_LINK_TTL_SECONDS: "60" })).archiveLinkTtlSeconds).toBe(60);
    expect(loadConfig(envOf({ ARCHIVE_LINK_TTL_SECONDS: String(30 * 86_400) })).archiveLinkTtlSeconds).toBe(2_592_000);
  });

  it.each([
    ["ARCHIVE_LINK_SECRET", ONE.slice(0, 31)],
    ["ARCHIVE_LINK_SECRET", `${ONE} ${TWO.slice(0, 31)}`],
    ["ARCHIVE_LINK_SECRET", `${ONE} ${TWO} ${ONE}x`],
    ["ARCHIVE_LINK_TTL_SECONDS", "0"],
    ["ARCHIVE_LINK_TTL_SECONDS", "-60"],
    ["ARCHIVE_LINK_TTL_SECONDS", "1.5"],
    ["ARCHIVE_LINK_TTL_SECONDS", "a week"],
    ["ARCHIVE_LINK_TTL_SECONDS", String(30 * 86_400 + 1)],
  ] as const)("refuses %s=%j with a ConfigError naming the var, not its value", (name, value) => {
    const error = refusal({ [name]: value });
    expect(error).toBeInstanceOf(ConfigError);
    expect(error!.message).toContain(name);
    expect(error!.message).not.toContain("LEAKME");
    if (name === "ARCHIVE_LINK_TTL_SECONDS") expect(error!.message).not.toContain(value);
  });
});
