/** The dashboard's session: login form, cookie flags, expiry, forgery, logout, and CSRF on every POST. */
import { env, exports } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { app } from "../src/app";
import { apiKeyIdOf } from "../src/auth/keys";
import { issueSession, SESSION_TTL_MS } from "../src/auth/session";
import { loadConfig } from "../src/config";
import type { Env } from "../src/env";
import { encodeBase64, encodeBase64Url } from "../src/lib/base64";
import { logIn, ORIGIN, page, postForm } from "./support/dashboard";
import { API_KEY, resetDb, tenantWithKey, unique } from "./support/relay";

const pageOf = async (res: Response) => /<body data-page="([a-z]+)"/.exec(await res.text())?.[1];

describe("logging in", () => {
  beforeEach(resetDb);

  it("shows the login form at / to a browser without a session, and the JSON 404 to an API client", async () => {
    const res = await page("/");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-security-policy")).toContain("default-src 'none'");
    expect(await pageOf(res)).toBe("login");
    expect((await exports.default.fetch(new Request(`${ORIGIN}/`))).status).toBe(404);
  });

  it("leads a browser from /dashboard (and /dashboard/) to the dashboard at /, the query kept; an API client gets the JSON 404", async () => {
    for (const path of ["/dashboard", "/dashboard/"]) {
      const res = await page(path);
      expect(res.status).toBe(302);
      expect(res.headers.get("location")).toBe("/");
      const api = await exports.default.fetch(new Request(`${ORIGIN}${path}`, { headers: { accept: "application/json" } }));
      expect(api.status).toBe(404);
      expect(await api.json()).toMatchObject({ error: { code: "not_found" } });
    }
    expect((await page("/dashboard?tenant=acme")).headers.get("location")).toBe("/?tenant=acme");
    expect(await pageOf(await page("/"))).toBe("login");
  });

  it("exchanges a valid key for an HttpOnly, Secure, SameSite=Strict cookie that holds the key id, never the key", async () => {
    const res = await postForm("/dashboard/login", [["api_key", API_KEY]]);
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/");
    const cookie = res.headers.get("set-cookie")!;
    expect(cookie).toMatch(/^__Host-relay_session=v1\.key_[0-9a-f]{16}\.\d+\.[A-Za-z0-9_-]{43};/);
    for (const flag of ["HttpOnly", "Secure", "SameSite=Strict", "Path=/", `Max-Age=${SESSION_TTL_MS / 1000}`])
      expect(cookie).toContain(flag);
    expect(cookie).not.toContain(API_KEY);
    expect(cookie).toContain(await apiKeyIdOf(API_KEY));
    const overview = await page("/", {}, { cookie: cookie.split(";")[0]! });
    const html = await overview.text();
    expect(html).toContain('data-page="overview"');
    expect(html).not.toContain(API_KEY);
  });

  it.each([
    ["a wrong key", [["api_key", "not-a-key"]]],
    ["no key", [["api_key", ""]]],
    ["no field at all", []],
  ] as const)("refuses %s with 401 and sets no cookie", async (_name, fields) => {
    const res = await postForm(
      "/dashboard/login",
      fields.map(([k, v]) => [k, v] as [string, string]),
    );
    expect(res.status).toBe(401);
    expect(res.headers.get("set-cookie")).toBeNull();
    expect(await res.text()).toContain("Unknown API key");
  });

  it("refuses a login posted from another site (login CSRF)", async () => {
    for (const headers of [{ "sec-fetch-site": "cross-site" }, { "sec-fetch-site": "same-site" }]) {
      const res = await postForm("/dashboard/login", [["api_key", API_KEY]], {}, headers);
      expect(res.status).toBe(403);
      expect(res.headers.get("set-cookie")).toBeNull();
    }
    const noFetchMetadata = new Request(`${ORIGIN}/dashboard/login`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", origin: "https://evil.example" },
      body: `api_key=${API_KEY}`,
    });
    expect((await exports.default.fetch(noFetchMetadata)).status).toBe(403);
  });

  it("returns to a dashboard page after login, but never to another site", async () => {
    const cases: [string, string][] = [
      ["/dashboard/tasks?state=polling", "/dashboard/tasks?state=polling"],
      ["//evil.example/x", "/"],
      ["https://evil.example", "/"],
      ["/\\evil.example", "/"],
    ];
    for (const [next, location] of cases) {
      const res = await postForm("/dashboard/login", [
        ["api_key", API_KEY],
        ["next", next],
      ]);
      expect(res.headers.get("location"), next).toBe(location);
    }
  });
});

describe("sessions", () => {
  beforeEach(resetDb);

  it("refuses forged, tampered, expired and foreign tokens, and a key removed from RELAY_API_KEYS", async () => {
    const { cookie } = await logIn();
    const [name, token] = cookie.split("=") as [string, string];
    const flip = (s: string) => s.slice(0, -2) + (s.at(-2) === "A" ? "B" : "A") + s.at(-1);
    const asDefault = async (key: string) => ({ kind: "tenant" as const, tenantId: "default", keyId: await apiKeyIdOf(key) });
    const keyring = loadConfig(env).secretsKeyring;
    const expired = await issueSession(keyring, API_KEY, await asDefault(API_KEY), Date.now() - SESSION_TTL_MS - 1000);
    const otherKey = await issueSession(
      keyring,
      "some-other-key-0123456789abcdef",
      await asDefault("some-other-key-0123456789abcdef"),
      Date.now(),
    );
    for (const bad of [
      flip(token),
      token.replace(/\.(\d+)\./, (_, n) => `.${Number(n) + 1000}.`),
      expired,
      otherKey,
      "v1.x.1.y",
      "%E0%A4%A",
      "a".repeat(5000),
    ]) {
      const res = await page("/dashboard/tasks", {}, { cookie: `${name}=${bad}` });
      expect(res.status, bad.slice(0, 40)).toBe(401);
      expect(await pageOf(res)).toBe("login");
    }
    const removed = await app.fetch(new Request(`${ORIGIN}/dashboard/tasks`, { headers: { accept: "text/html", cookie } }), {
      ...env,
      RELAY_API_KEYS: "relay-test-key-two-0123456789",
    });
    expect(removed.status).toBe(401);
    expect((await page("/dashboard/tasks", {}, { cookie })).status).toBe(200);
  });

  /** The dashboard with env `overrides` (another SECRETS_KEY, or none), as a browser with `cookie`. */
  const dashboardWith = (overrides: Partial<Env>, cookie: string) =>
    app.fetch(new Request(`${ORIGIN}/dashboard/tasks`, { headers: { accept: "text/html", cookie } }), { ...env, ...overrides });

  it("refuses a session forged from D1's contents alone (a tenant key's stored hash) when SECRETS_KEY is set", async () => {
    const tenant = await tenantWithKey(unique("t"), "Forged");
    const row = await env.DB.prepare("SELECT id, hash FROM api_keys WHERE tenant_id = ?")
      .bind(tenant.id)
      .first<{ id: string; hash: string }>();
    // What whoever holds a copy of D1 can sign: the session key derived from the stored hash alone.
    const payload = `v1.${row!.id}.${Date.now() + 60_000}`;
    const hmac = (key: Uint8Array | string, data: string) =>
      crypto.subtle
        .importKey("raw", typeof key === "string" ? new TextEncoder().encode(key) : key, { name: "HMAC", hash: "SHA-256" }, false, ["sign"])
        .then(async (k) => new Uint8Array(await crypto.subtle.sign("HMAC", k, new TextEncoder().encode(data))));
    const forged = `${payload}.${encodeBase64Url(await hmac(await hmac(row!.hash, "kling-webhook-relay dashboard session v1"), payload))}`;
    const cookie = `__Host-relay_session=${forged}`;

    expect((await dashboardWith({}, cookie)).status).toBe(401);
    // The forgery is faithful: without SECRETS_KEY (local development) the hash alone keys sessions.
    expect((await dashboardWith({ SECRETS_KEY: undefined }, cookie)).status).toBe(200);
    // And the tenant's own login works under SECRETS_KEY.
    expect((await page("/dashboard/tasks", {}, await logIn(tenant.key))).status).toBe(200);
  });

  it("keeps a session through a rotation of SECRETS_KEY (new key first), and ends it once the old key is gone", async () => {
    const { cookie } = await logIn();
    const fresh = encodeBase64(crypto.getRandomValues(new Uint8Array(32)));
    expect((await dashboardWith({ SECRETS_KEY: `${fresh} ${env.SECRETS_KEY}` }, cookie)).status).toBe(200);
    expect((await dashboardWith({ SECRETS_KEY: fresh }, cookie)).status).toBe(401);
  });

  it("logs out: the cookie is cleared, and logging out needs the page's form token", async () => {
    const browser = await logIn();
    const forged = await postForm("/dashboard/logout", [["form_token", "nope"]], { cookie: browser.cookie });
    expect(forged.status).toBe(403);
    expect(forged.headers.get("set-cookie")).toBeNull();
    const res = await postForm("/dashboard/logout", [], browser);
    expect(res.status).toBe(303);
    expect(res.headers.get("set-cookie")).toMatch(/^__Host-relay_session=; Max-Age=0;.*HttpOnly.*Secure.*SameSite=Strict/);
  });
});

describe("CSRF on the dashboard's actions", () => {
  beforeEach(resetDb);

  const ACTIONS = ["/dashboard/subscriptions/sub_000000000000000000000000/redeliver", "/dashboard/redeliver"];

  it.each(ACTIONS)(
    "POST %s is refused without a session, without the form token, with another session's token, cross-site, or as JSON",
    async (path) => {
      const browser = await logIn();
      const other = await logIn("relay-test-key-two-0123456789");
      const attempts = [
        postForm(path, [
          ["form_token", browser.formToken],
          ["ids", "x"],
        ]),
        postForm(path, [["ids", "x"]], { cookie: browser.cookie }),
        postForm(
          path,
          [
            ["form_token", other.formToken],
            ["ids", "x"],
          ],
          { cookie: browser.cookie },
        ),
        postForm(path, [["ids", "x"]], browser, { "sec-fetch-site": "cross-site" }),
        page(
          path,
          {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ form_token: browser.formToken, ids: ["x"] }),
          },
          browser,
        ),
      ];
      for (const res of await Promise.all(attempts)) expect(res.status).toBe(403);
      expect((await postForm(path, [["ids", "x"]], browser)).status).toBe(303);
    },
  );

  /** A form POST carrying neither `Origin` nor `Sec-Fetch-Site`: no browser sends one; a forger's tool may. */
  const silentPost = (path: string, fields: Record<string, string>, headers: Record<string, string> = {}) =>
    exports.default.fetch(
      new Request(`${ORIGIN}${path}`, {
        method: "POST",
        redirect: "manual",
        headers: { accept: "text/html", "content-type": "application/x-www-form-urlencoded", ...headers },
        body: new URLSearchParams(fields).toString(),
      }),
    );

  it("refuses a POST with a valid session and form token that says neither Origin nor Sec-Fetch-Site, with the dashboard's 403 page", async () => {
    const browser = await logIn();
    for (const path of [...ACTIONS, "/dashboard/logout"]) {
      const res = await silentPost(path, { form_token: browser.formToken, ids: "x" }, { cookie: browser.cookie });
      expect(res.status, path).toBe(403);
      expect(res.headers.get("content-security-policy"), path).toContain("default-src 'none'");
      expect(await res.text(), path).toContain("Form refused");
      expect(res.headers.get("set-cookie"), path).toBeNull();
    }
    const login = await silentPost("/dashboard/login", { api_key: API_KEY });
    expect(login.status).toBe(403);
    expect(login.headers.get("set-cookie")).toBeNull();
    // A browser that sends only Origin (no Fetch Metadata) is still served when it is this origin.
    expect(
      (await silentPost(ACTIONS[1]!, { form_token: browser.formToken, ids: "x" }, { cookie: browser.cookie, origin: ORIGIN })).status,
    ).toBe(303);
    expect((await silentPost("/dashboard/login", { api_key: API_KEY }, { origin: ORIGIN })).status).toBe(303);
  });
});
