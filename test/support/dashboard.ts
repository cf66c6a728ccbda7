/** Drives the dashboard as a browser would: HTML accepted, a session cookie, forms with their token. */
import { exports } from "cloudflare:workers";
import { API_KEY } from "./relay";

export const ORIGIN = "https://relay.test";

export interface Browser {
  cookie: string;
  formToken: string;
}

/** A same-origin browser request (Chromium sends `Sec-Fetch-Site` on every request). */
export function page(path: string, init: RequestInit = {}, browser?: Pick<Browser, "cookie">): Promise<Response> {
  const headers = new Headers(init.headers);
  if (!headers.has("accept")) headers.set("accept", "text/html,application/xhtml+xml");
  if (!headers.has("sec-fetch-site")) headers.set("sec-fetch-site", "same-origin");
  if (browser) headers.set("cookie", browser.cookie);
  return exports.default.fetch(new Request(`${ORIGIN}${path}`, { ...init, headers, redirect: "manual" }));
}

export function postForm(
  path: string,
  fields: [string, string][],
  browser?: Partial<Browser>,
  headers: Record<string, string> = {},
): Promise<Response> {
  const body = new URLSearchParams(fields);
  if (browser?.formToken && !fields.some(([name]) => name === "form_token")) body.set("form_token", browser.formToken);
  return page(
    path,
    { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", ...headers }, body: body.toString() },
    browser?.cookie ? { cookie: browser.cookie } : undefined,
  );
}

export const formTokenIn = (html: string) => /name="form_token" value="([^"]+)"/.exec(html)?.[1];

/** Logs in with `key` and returns the session cookie and the form token its pages carry. */
export async function logIn(key: string = API_KEY): Promise<Browser> {
  const res = await postForm("/dashboard/login", [["api_key", key]]);
  if (res.status !== 303) throw new Error(`login answered ${res.status}`);
  const cookie = (res.headers.get("set-cookie") ?? "").split(";")[0]!;
  const html = await (await page("/", {}, { cookie })).text();
  const formToken = formTokenIn(html);
  if (!formToken) throw new Error("no form token on the overview page");
  return { cookie, formToken };
}
