import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/config";
import type { Env } from "../../src/env";

/** A fresh env object per case: loadConfig caches per object. */
const envOf = (vars: Partial<Omit<Env, "DB">> = {}): Env => ({ DB: {} as D1Database, ...vars }) as Env;

const HOUR = 3_600_000;
const RELAY_KEY = "relay-key-SUPER-SECRET-7f3a9c";
const UPSTREAM_KEY = "comet-key-SUPER-SECRET-b81d2e";
const WEBHOOK_SECRET = `whsec_${btoa("webhook-secret-SUPER-SECRET-0042")}`;

describe("loadConfig defaults", () => {
  it("has a default for every var", () => {
    expect(loadConfig(envOf())).toEqual({
      relayApiKeys: [],
      adminApiKey: null,
      secretsKeyring: null,
      secretRotationOverlapMs: 24 * HOUR,
      klingBaseUrl: "https://api-singapore.klingai.com",
      klingCredentials: null,
      klingBatchSize: 50,
      webhookSecrets: [],
      cometapiKey: "",
      upstreamBaseUrl: "https://api.cometapi.com",
      pollMinIntervalMs: 10_000,
      pollMaxIntervalMs: 60_000,
      upstreamTimeoutMs: 15_000,
      d1TimeoutMs: 15_000,
      d1FaultRate: 0,
      subrequestBudget: 45,
      tickWallBudgetMs: 58_000,
      maxTaskAgeMs: 24 * HOUR,
      deliveryRetryScheduleMs: [5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000],
      deliveryTimeoutMs: 15_000,
      endpointCircuitFailures: 5,
      endpointProbeMinMs: 60_000,
      endpointProbeMaxMs: 3_600_000,
      endpointDisableAfterMs: 120 * 3_600_000,
      retentionMs: 7 * 24 * HOUR,
      allowInsecureCallbacks: false,
      registrationRateLimit: 6000,
      authFailureLimit: 20,
      inboundToken: null,
      inboundTokens: [],
      klingWebhookSecrets: [],
      pushSafetyPollMs: 300_000,
      publicBaseUrl: null,
      archiveLinkSecrets: [],
      archiveLinkTtlSeconds: 604_800,
      archiveDefault: false,
      archiveMaxBytes: 2 * 1024 ** 3,
      archiveMaxAttempts: 5,
      archiveCopyTimeoutMs: 50_000,
      archiveBytesPerTick: 256 * 1024 ** 2,
      archiveRetentionMs: 90 * 86_400_000,
      auditRetentionMs: 90 * 86_400_000,
    });
  });

  it("treats empty strings as unset", () => {
    const config = loadConfig(envOf({ POLL_MIN_INTERVAL_SECONDS: "", UPSTREAM_BASE_URL: "", SUBREQUEST_BUDGET: "  " }));
    expect(config).toMatchObject({ pollMinIntervalMs: 10_000, upstreamBaseUrl: "https://api.cometapi.com", subrequestBudget: 45 });
  });

  it("returns the same config for the same env object", () => {
    const env = envOf({ POLL_MIN_INTERVAL_SECONDS: "20" });
    expect(loadConfig(env)).toBe(loadConfig(env));
  });
});

describe("loadConfig overrides", () => {
  it("parses every var", () => {
    const config = loadConfig(
      envOf({
        UPSTREAM_BASE_URL: "https://upstream.example/api/",
        POLL_MIN_INTERVAL_SECONDS: "5",
        POLL_MAX_INTERVAL_SECONDS: " 120 ",
        UPSTREAM_TIMEOUT_SECONDS: "20",
        SUBREQUEST_BUDGET: "900",
        TICK_WALL_BUDGET_SECONDS: "30",
        MAX_TASK_AGE_HOURS: "48",
        DELIVERY_RETRY_SCHEDULE: "1, 10 ,100",
        DELIVERY_TIMEOUT_SECONDS: "30",
        RETENTION_DAYS: "30",
        ALLOW_INSECURE_CALLBACKS: "true",
        COMETAPI_KEY: ` ${UPSTREAM_KEY} `,
      }),
    );
    expect(config).toMatchObject({
      upstreamBaseUrl: "https://upstream.example/api",
      pollMinIntervalMs: 5_000,
      pollMaxIntervalMs: 120_000,
      upstreamTimeoutMs: 20_000,
      subrequestBudget: 900,
      tickWallBudgetMs: 30_000,
      maxTaskAgeMs: 48 * HOUR,
      deliveryRetryScheduleMs: [1_000, 10_000, 100_000],
      deliveryTimeoutMs: 30_000,
      retentionMs: 30 * 24 * HOUR,
      allowInsecureCallbacks: true,
      cometapiKey: UPSTREAM_KEY,
    });
  });

  it("accepts fractional seconds and equal min and max", () => {
    expect(
      loadConfig(envOf({ POLL_MIN_INTERVAL_SECONDS: "30", POLL_MAX_INTERVAL_SECONDS: "30", UPSTREAM_TIMEOUT_SECONDS: "2.5" })),
    ).toMatchObject({
      pollMinIntervalMs: 30_000,
      pollMaxIntervalMs: 30_000,
      upstreamTimeoutMs: 2_500,
    });
  });

  it.each(["false", "1", "yes", "TRUE", ""])("ALLOW_INSECURE_CALLBACKS %j is not true", (value) => {
    expect(loadConfig(envOf({ ALLOW_INSECURE_CALLBACKS: value })).allowInsecureCallbacks).toBe(false);
  });

  it("splits RELAY_API_KEYS on commas", () => {
    const [k1, k2, k3] = ["1", "2", "3"].map((n) => `key-${n}-${"x".repeat(20)}`) as [string, string, string];
    expect(loadConfig(envOf({ RELAY_API_KEYS: `${k1},${k2}` })).relayApiKeys).toEqual([k1, k2]);
    expect(loadConfig(envOf({ RELAY_API_KEYS: ` ${k1} , ${k2},,${k3} ,` })).relayApiKeys).toEqual([k1, k2, k3]);
    expect(loadConfig(envOf({ RELAY_API_KEYS: k1 })).relayApiKeys).toEqual([k1]);
  });

  it("refuses keys shorter than 24 characters, and an admin key that is also a tenant key, naming only the var", () => {
    const short = "short-SECRET-key-23chars";
    for (const vars of [
      { RELAY_API_KEYS: `${RELAY_KEY},${short.slice(1)}` },
      { ADMIN_API_KEY: short.slice(1) },
      { RELAY_API_KEYS: RELAY_KEY, ADMIN_API_KEY: RELAY_KEY },
    ]) {
      let error: unknown;
      try {
        loadConfig(envOf(vars));
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ConfigError);
      expect(String(error)).not.toContain("SECRET");
    }
    expect(loadConfig(envOf({ ADMIN_API_KEY: ` ${short} ` })).adminApiKey).toBe(short);
  });

  it("reads SECRET_ROTATION_OVERLAP_HOURS (0 ends the old secret at once)", () => {
    expect(loadConfig(envOf({ SECRET_ROTATION_OVERLAP_HOURS: "0" })).secretRotationOverlapMs).toBe(0);
    expect(loadConfig(envOf({ SECRET_ROTATION_OVERLAP_HOURS: "1.5" })).secretRotationOverlapMs).toBe(1.5 * HOUR);
    expect(() => loadConfig(envOf({ SECRET_ROTATION_OVERLAP_HOURS: "-1" }))).toThrow(ConfigError);
  });

  it("splits WEBHOOK_SECRETS on any whitespace", () => {
    const a = "whsec_YWFhYQ==";
    const b = "whsec_YmJiYg==";
    const c = "whsec_Y2NjYw==";
    expect(loadConfig(envOf({ WEBHOOK_SECRETS: `${a} ${b}` })).webhookSecrets).toEqual([a, b]);
    expect(loadConfig(envOf({ WEBHOOK_SECRETS: `  ${a}\n${b}\t\t${c}  ` })).webhookSecrets).toEqual([a, b, c]);
    expect(loadConfig(envOf({ WEBHOOK_SECRETS: a })).webhookSecrets).toEqual([a]);
  });
});

describe("loadConfig refuses invalid values", () => {
  const secrets = { RELAY_API_KEYS: `${RELAY_KEY},other`, COMETAPI_KEY: UPSTREAM_KEY, WEBHOOK_SECRETS: WEBHOOK_SECRET };
  const invalid: ReadonlyArray<readonly [keyof Env, string]> = [
    ["POLL_MIN_INTERVAL_SECONDS", "abc"],
    ["POLL_MIN_INTERVAL_SECONDS", "-1"],
    ["POLL_MIN_INTERVAL_SECONDS", "0"],
    ["POLL_MAX_INTERVAL_SECONDS", "Infinity"],
    ["UPSTREAM_TIMEOUT_SECONDS", "15s"],
    ["SUBREQUEST_BUDGET", "-5"],
    ["TICK_WALL_BUDGET_SECONDS", "abc"],
    ["MAX_TASK_AGE_HOURS", "NaN"],
    ["DELIVERY_RETRY_SCHEDULE", "5,abc,60"],
    ["DELIVERY_RETRY_SCHEDULE", "5,-1"],
    ["DELIVERY_TIMEOUT_SECONDS", "0"],
    ["RETENTION_DAYS", "a week"],
    ["UPSTREAM_BASE_URL", "not a url"],
    ["UPSTREAM_BASE_URL", "api.cometapi.com"],
  ];

  it.each(invalid)("%s=%j throws a ConfigError naming the var, without secrets", (name, value) => {
    let thrown: unknown;
    try {
      loadConfig(envOf({ ...secrets, [name]: value }));
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    const message = (thrown as Error).message;
    expect(message).toContain(name);
    for (const secret of [RELAY_KEY, UPSTREAM_KEY, WEBHOOK_SECRET]) expect(message).not.toContain(secret);
  });

  it("refuses a minimum interval above the maximum", () => {
    const run = () => loadConfig(envOf({ ...secrets, POLL_MIN_INTERVAL_SECONDS: "120", POLL_MAX_INTERVAL_SECONDS: "60" }));
    expect(run).toThrow(ConfigError);
    expect(run).toThrow(/POLL_MIN_INTERVAL_SECONDS/);
    expect(run).not.toThrow(new RegExp(RELAY_KEY));
  });

  it("the default minimum above an overridden maximum is refused too", () => {
    expect(() => loadConfig(envOf({ POLL_MAX_INTERVAL_SECONDS: "5" }))).toThrow(ConfigError);
  });

  it("names every offending var at once", () => {
    const run = () => loadConfig(envOf({ ...secrets, RETENTION_DAYS: "x", SUBREQUEST_BUDGET: "y" }));
    expect(run).toThrow(/RETENTION_DAYS/);
    expect(run).toThrow(/SUBREQUEST_BUDGET/);
  });

  it("names every invalid setting at once, vars and secrets together, in the table's order, with what each secret must be", () => {
    let error: unknown;
    try {
      loadConfig(envOf({ RETENTION_DAYS: "x", WEBHOOK_SECRETS: "LEAKME", RELAY_API_KEYS: "LEAKME-short", SECRETS_KEY: "LEAKME" }));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const { settings, problems, message } = error as ConfigError;
    expect(settings).toEqual(["RELAY_API_KEYS", "WEBHOOK_SECRETS", "SECRETS_KEY", "RETENTION_DAYS"]);
    expect(problems.find((p) => p.setting === "RELAY_API_KEYS")?.message).toMatch(/at least 24 characters/);
    expect(message).not.toContain("LEAKME");
  });

  it("a refused env is not cached as valid", () => {
    const env = envOf({ POLL_MIN_INTERVAL_SECONDS: "abc" });
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(ConfigError);
  });
});

describe("loadConfig: values that would silently break the relay", () => {
  it.each([
    ["SECRETS_KEY", btoa("sixteen-LEAKME-b")],
    ["SECRETS_KEY", `${btoa("x".repeat(32))} ${btoa("y".repeat(32))} ${btoa("z".repeat(32))}`],
    ["WEBHOOK_SECRETS", "not-a-whsec-secret"],
    ["WEBHOOK_SECRETS", `${WEBHOOK_SECRET} mysecretvalue`],
    ["SUBREQUEST_BUDGET", "0.5"],
    ["SUBREQUEST_BUDGET", "12.5"],
    ["UPSTREAM_BASE_URL", "ftp://example.com"],
  ])("%s=%j is refused with a ConfigError that names it and leaks no secret", (name, value) => {
    let error: unknown;
    try {
      loadConfig(envOf({ [name]: value, RELAY_API_KEYS: RELAY_KEY }));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toContain(name);
    expect((error as Error).message).not.toContain(value);
    expect((error as Error).message).not.toContain(RELAY_KEY);
  });

  it("reads SECRETS_KEY: the key that seals, and during a rotation the one before it", () => {
    const [next, old] = [btoa("n".repeat(32)), btoa("o".repeat(32))];
    const keyring = loadConfig(envOf({ SECRETS_KEY: `${next} ${old}` })).secretsKeyring;
    expect(keyring?.current.id).toMatch(/^[0-9a-f]{8}$/);
    expect(keyring?.previous?.id).toBe(loadConfig(envOf({ SECRETS_KEY: old })).secretsKeyring?.current.id);
    expect(loadConfig(envOf({ SECRETS_KEY: " " })).secretsKeyring).toBeNull();
  });

  it("an empty DELIVERY_RETRY_SCHEDULE means the default schedule, not 'no retries'", () => {
    expect(loadConfig(envOf({ DELIVERY_RETRY_SCHEDULE: " " })).deliveryRetryScheduleMs).toHaveLength(7);
  });

  it("accepts a plain-http upstream (a local simulator)", () => {
    expect(loadConfig(envOf({ UPSTREAM_BASE_URL: "http://127.0.0.1:9000/" })).upstreamBaseUrl).toBe("http://127.0.0.1:9000");
  });

  it("reads the inbound callback vars: INBOUND_TOKEN (32+ URL-safe characters), KLING_WEBHOOK_SECRET, PUBLIC_BASE_URL", () => {
    const token = "inbound-LEAKME-token-0123456789ab";
    const secret = `whsec_${btoa("kling-LEAKME-of-thirty-two-bytes")}`;
    expect(
      loadConfig(
        envOf({
          INBOUND_TOKEN: ` ${token} `,
          KLING_WEBHOOK_SECRET: `${secret} ${WEBHOOK_SECRET}`,
          PUSH_SAFETY_POLL_SECONDS: "600",
          PUBLIC_BASE_URL: "https://relay.example.com/",
        }),
      ),
    ).toMatchObject({
      inboundToken: token,
      inboundTokens: [token],
      klingWebhookSecrets: [secret, WEBHOOK_SECRET],
      pushSafetyPollMs: 600_000,
      publicBaseUrl: "https://relay.example.com",
    });
    for (const vars of [
      { INBOUND_TOKEN: token.slice(0, 31) },
      { INBOUND_TOKEN: `${token}/x` },
      { INBOUND_TOKEN: `${token} ${token}a ${token}b` },
      { KLING_WEBHOOK_SECRET: "LEAKME-not-a-whsec" },
      { PUBLIC_BASE_URL: "ftp://LEAKME.example" },
      { PUSH_SAFETY_POLL_SECONDS: "0" },
    ]) {
      let error: unknown;
      try {
        loadConfig(envOf(vars));
      } catch (e) {
        error = e;
      }
      expect(error, JSON.stringify(Object.keys(vars))).toBeInstanceOf(ConfigError);
      expect(String(error)).not.toContain("LEAKME");
    }
  });
});
