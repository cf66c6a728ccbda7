/**
 * Each tenant's own upstream account: the credential routes (written, never read back; sealed at
 * rest; one tenant's alone).
 */
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import type { Env } from "../src/env";
import { ADMIN_KEY, relayRequest, resetDb, tenantWithKey, unique } from "./support/relay";

type Json = Record<string, any>;
const asJson = async (res: Response) => ({ status: res.status, body: (res.status === 204 ? null : await res.json()) as Json });

const send = (
  key: string,
  method: string,
  path: string,
  body?: unknown,
  overrides: Partial<Env> = {},
  headers: Record<string, string> = {},
) =>
  relayRequest(
    path,
    {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { "content-type": "application/json" }), ...headers },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    },
    overrides,
  ).then(asJson);

/** Every row of every table, as text: where a credential value must never appear. */
async function dumpDb(): Promise<string> {
  const tables = await env.DB.prepare(
    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_cf%' ESCAPE '\\' AND name NOT LIKE 'sqlite%'",
  ).all<{ name: string }>();
  const dumps = await Promise.all(
    tables.results.map(async ({ name }) => JSON.stringify((await env.DB.prepare(`SELECT * FROM "${name}"`).all()).results)),
  );
  return dumps.join("\n");
}

const WEBHOOK_SECRET = `whsec_${btoa("a-kling-console-webhook-secret!!")}`;

describe("a tenant's own upstream credentials: the routes", () => {
  beforeEach(resetDb);

  it("stores them sealed, shows only the hint, and never a value in a response, a log line or D1 in clear", async () => {
    const tenant = await tenantWithKey(unique("tn"), "Own", { sharedUpstream: false, trusted: false });
    const logged: string[] = [];
    const spies = (["log", "warn", "error", "info", "debug"] as const).map((level) => {
      const original = console[level];
      console[level] = (...args: unknown[]) => {
        logged.push(args.map(String).join(" "));
        original.apply(console, args);
      };
      return () => (console[level] = original);
    });
    const secrets = { apiKey: "tenant-own-comet-key-7Qx9", accessKey: "tenant-access-key-AbCd", secretKey: "tenant-secret-key-0123456789" };
    const answers: Json[] = [];
    try {
      expect(await send(tenant.key, "GET", "/v1/credentials/cometapi")).toEqual({
        status: 200,
        body: { provider: "cometapi", configured: false, hint: null, updated_at: null },
      });
      const put = await send(tenant.key, "PUT", "/v1/credentials/cometapi", { api_key: secrets.apiKey });
      expect(put).toEqual({
        status: 200,
        body: { provider: "cometapi", configured: true, hint: "7Qx9", updated_at: expect.stringMatching(/^\d{4}-/) },
      });
      answers.push(put);
      const kling = await send(tenant.key, "PUT", "/v1/credentials/kling", {
        access_key: secrets.accessKey,
        secret_key: secrets.secretKey,
        webhook_secret: WEBHOOK_SECRET,
      });
      expect(kling.body).toMatchObject({ provider: "kling", configured: true, hint: "AbCd" });
      answers.push(kling);
      const got = await send(tenant.key, "GET", "/v1/credentials/kling");
      expect(got).toEqual(kling);
      answers.push(got);
      // The admin sees the same of them, and no more.
      const adminGot = await send(ADMIN_KEY, "GET", `/v1/admin/tenants/${tenant.id}/credentials/kling`);
      expect(adminGot).toEqual(kling);
      answers.push(adminGot, await send(tenant.key, "GET", `/v1/audit-log`));
    } finally {
      for (const restore of spies) restore();
    }
    const row = await env.DB.prepare("SELECT * FROM tenant_credentials WHERE tenant_id = ? AND provider = 'kling'")
      .bind(tenant.id)
      .first<Json>();
    expect(row).toMatchObject({ hint: "AbCd", sealed: expect.stringMatching(/^sealed\.v1\./) });
    const everything = [JSON.stringify(answers), logged.join("\n"), await dumpDb()].join("\n");
    for (const value of [...Object.values(secrets), WEBHOOK_SECRET, WEBHOOK_SECRET.slice(6)]) expect(everything).not.toContain(value);
    // Audited, with the provider and the hint only.
    const audit = (
      await env.DB.prepare("SELECT action, target, detail FROM audit_log WHERE tenant_id = ? ORDER BY id").bind(tenant.id).all()
    ).results;
    expect(audit).toEqual([
      { action: "credentials.put", target: "cometapi", detail: JSON.stringify({ provider: "cometapi", hint: "7Qx9" }) },
      { action: "credentials.put", target: "kling", detail: JSON.stringify({ provider: "kling", hint: "AbCd" }) },
    ]);
  });

  it("refuses to store them without SECRETS_KEY with a 400 naming it, storing nothing", async () => {
    const tenant = await tenantWithKey(unique("tn"), "Own");
    const refused = await send(tenant.key, "PUT", "/v1/credentials/kling", { api_key: "kling-key-0123456789" }, { SECRETS_KEY: undefined });
    expect(refused).toMatchObject({
      status: 400,
      body: { error: { code: "invalid_request", message: expect.stringContaining("SECRETS_KEY") } },
    });
    const byAdmin = await send(
      ADMIN_KEY,
      "PUT",
      `/v1/admin/tenants/${tenant.id}/credentials/cometapi`,
      { api_key: "comet-key-0123456789" },
      { SECRETS_KEY: undefined },
    );
    expect(byAdmin.status).toBe(400);
    expect((await env.DB.prepare("SELECT count(*) AS n FROM tenant_credentials").first<{ n: number }>())?.n).toBe(0);
    expect((await env.DB.prepare("SELECT count(*) AS n FROM audit_log").first<{ n: number }>())?.n).toBe(0);
  });

  it("refuses bad bodies with 400 naming the field, and unknown providers with 404, storing nothing", async () => {
    const tenant = await tenantWithKey(unique("tn"), "Own");
    const bad: [string, unknown, string][] = [
      ["cometapi", {}, "api_key"],
      ["cometapi", { access_key: "access-key-0123", secret_key: "secret-key-0123" }, "access_key"],
      ["cometapi", { api_key: "short" }, "api_key"],
      ["cometapi", { api_key: "has a space in it" }, "api_key"],
      ["cometapi", { api_key: "x".repeat(513) }, "api_key"],
      ["cometapi", { api_key: "comet-key-0123456789", extra: 1 }, "extra"],
      ["kling", { api_key: "kling-key-0123456789", access_key: "access-key-0123", secret_key: "secret-key-0123" }, "api_key"],
      ["kling", { access_key: "access-key-0123" }, "secret_key"],
      ["kling", { api_key: "kling-key-0123456789", webhook_secret: "not-a-secret" }, "webhook_secret"],
      ["kling", { api_key: 12345678 }, "api_key"],
    ];
    for (const [provider, body, field] of bad) {
      const answer = await send(tenant.key, "PUT", `/v1/credentials/${provider}`, body);
      expect(answer.status, JSON.stringify(body)).toBe(400);
      expect(answer.body.error.code).toBe("invalid_request");
      expect(answer.body.error.details.map((d: Json) => d.field)).toContain(field);
    }
    for (const method of ["PUT", "GET", "DELETE"]) {
      const answer = await send(tenant.key, method, "/v1/credentials/openai", method === "PUT" ? { api_key: "k-0123456789" } : undefined);
      expect(answer).toMatchObject({ status: 404, body: { error: { code: "not_found" } } });
    }
    expect((await env.DB.prepare("SELECT count(*) AS n FROM tenant_credentials").first<{ n: number }>())?.n).toBe(0);
  });

  it("keeps each tenant to its own: another's are out of reach, and the admin's path for a missing tenant is 404", async () => {
    const a = await tenantWithKey(unique("tn"), "A");
    const b = await tenantWithKey(unique("tn"), "B");
    expect((await send(a.key, "PUT", "/v1/credentials/cometapi", { api_key: "a-comet-key-0123456789" })).status).toBe(200);
    // B's own path shows B's (none); there is no path to A's for B's key.
    expect((await send(b.key, "GET", "/v1/credentials/cometapi")).body).toMatchObject({ configured: false });
    for (const method of ["GET", "PUT", "DELETE"])
      expect(
        (
          await send(
            b.key,
            method,
            `/v1/admin/tenants/${a.id}/credentials/cometapi`,
            method === "PUT" ? { api_key: "b-comet-key-012345" } : undefined,
          )
        ).status,
      ).toBe(404);
    // B deleting its own (none) leaves A's.
    expect((await send(b.key, "DELETE", "/v1/credentials/cometapi")).status).toBe(204);
    expect((await send(a.key, "GET", "/v1/credentials/cometapi")).body).toMatchObject({ configured: true, hint: "6789" });
    for (const method of ["GET", "PUT", "DELETE"])
      expect(
        await send(
          ADMIN_KEY,
          method,
          "/v1/admin/tenants/ten_missing/credentials/kling",
          method === "PUT" ? { api_key: "kling-key-0123456789" } : undefined,
        ),
      ).toMatchObject({ status: 404, body: { error: { code: "not_found", message: "no tenant ten_missing" } } });
    // The admin's delete of A's: gone, audited.
    expect((await send(ADMIN_KEY, "DELETE", `/v1/admin/tenants/${a.id}/credentials/cometapi`)).status).toBe(204);
    expect((await send(a.key, "GET", "/v1/credentials/cometapi")).body).toEqual({
      provider: "cometapi",
      configured: false,
      hint: null,
      updated_at: null,
    });
    const actions = (await env.DB.prepare("SELECT action, detail FROM audit_log WHERE tenant_id = ? ORDER BY id").bind(a.id).all()).results;
    expect(actions.map((r) => r.action)).toEqual(["credentials.put", "credentials.delete"]);
  });
});
