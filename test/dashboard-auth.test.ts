/** The dashboard's session: login form, cookie flags, expiry, forgery, logout, and CSRF on every POST. */
import { env, exports } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { apiKeyIdOf } from "../src/auth/keys";
import { issueSession, SESSION_TTL_MS } from "../src/auth/session";
import { app } from "../src/http/app";
import { logIn, ORIGIN, page, postForm } from "./support/dashboard";
import { API_KEY, resetDb } from "./support/relay";

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
    const expired = await issueSession(API_KEY, await asDefault(API_KEY), Date.now() - SESSION_TTL_MS - 1000);
    const otherKey = await issueSession("some-other-key-0123456789abcdef", await asDefault("some-other-key-0123456789abcdef"), Date.now());
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
