/**
 * The dashboard in a real browser (Debian's Chromium through playwright-core) against the real
 * `wrangler dev` and the loopback simulator: log in, watch the counts move as ticks run, open a
 * task, redeliver a failed message and see its new attempt appear, see the endpoints' figures,
 * open the reference (Scalar's, loading nothing from another origin), log out.
 * Screenshots of each view go to .tmp/screenshots/ (UPDATE_README_SCREENSHOT=1 also refreshes the
 * README's test/browser/screenshots/dashboard.png).
 * Without Chromium (test/harness/toolchains.ts finds it: CHROMIUM_PATH, or chromium on PATH) the
 * test skips and the run says why in one line; under CI=true it fails instead.
 */
import { randomBytes } from "node:crypto";
import { copyFileSync, mkdirSync } from "node:fs";
import path from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LoopbackNetwork } from "../../tools/loopback-network";
import type { RelayClient } from "../../tools/relay-client";
import { createSimulatedTask, type RelayStack, startRelayStack } from "../../tools/relay-stack";
import type { WranglerDev } from "../../tools/wrangler-dev";
import { BROWSER_TEST, ciErrorLine, findToolchain, isCI } from "../harness/toolchains";

const ROOT = path.resolve(import.meta.dirname, "../..");
const SHOTS = path.join(ROOT, ".tmp/screenshots");
const CHROMIUM = findToolchain("chromium", process.env);
const SKIP = CHROMIUM === undefined && !isCI(process.env);
const SECRET = `whsec_${randomBytes(32).toString("base64")}`;
const API_KEY = `browser-${randomBytes(12).toString("hex")}`;
const UPSTREAM_KEY = `sim-${randomBytes(12).toString("hex")}`;

let stack: RelayStack;
let network: LoopbackNetwork;
let relay: WranglerDev;
let client: RelayClient;
let browser: Browser;
let page: Page;
/** Console errors, CSP violations included: every page must load with none. */
const consoleErrors: string[] = [];
/** Every origin the browser sent a request to: the relay's only (no CDN, font host or proxy). */
const requestOrigins = new Set<string>();

beforeAll(async () => {
  if (SKIP) return;
  if (CHROMIUM === undefined) throw new Error(ciErrorLine(BROWSER_TEST, ["chromium"]));
  mkdirSync(SHOTS, { recursive: true });
  [stack, browser] = await Promise.all([
    startRelayStack({
      apiKey: API_KEY,
      secret: SECRET,
      upstreamKey: UPSTREAM_KEY,
      seed: 23,
      // One retry: a receiver that keeps failing makes a dead letter within a tick or two.
      vars: { DELIVERY_RETRY_SCHEDULE: "0.2", TICK_WALL_BUDGET_SECONDS: "2" },
    }),
    chromium.launch({ executablePath: CHROMIUM, args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"] }),
  ]);
  ({ network, relay, client } = stack);
  page = await (await browser.newContext({ viewport: { width: 1280, height: 860 } })).newPage();
  page.on("console", (message) => message.type() === "error" && consoleErrors.push(message.text()));
  page.on("pageerror", (error) => consoleErrors.push(error.message));
  page.on("request", (request) => requestOrigins.add(new URL(request.url()).origin));
});

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

const shot = (name: string, fullPage = true) => page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage });
/** A mark on the page's window: still there later means no full reload happened in between. */
const MARK_DOCUMENT = "window.sameDocument = true";
const SAME_DOCUMENT = "window.sameDocument === true";
const countText = (key: string) => page.locator(`[data-count="${key}"] .count-value`).innerText();

const simulatedTask = (action: string, action2: string, timeline: Record<string, unknown>) =>
  createSimulatedTask(network.url, UPSTREAM_KEY, action, action2, timeline);

/** Fires the cron tick until `done()` holds. */
async function tickUntil(done: () => Promise<boolean>, maxTicks = 30) {
  for (let i = 0; i < maxTicks; i++) {
    await relay.fireScheduled();
    if (await done()) return;
  }
  throw new Error("condition not reached within the tick limit");
}

describe.skipIf(SKIP)("the dashboard in Chromium", () => {
  it("logs in, follows ticks live, redelivers a dead letter, and logs out", async () => {
    network.receivers.configure("app", { secret: SECRET });
    network.receivers.configure("down", { secret: SECRET, steps: [{ status: 503 }] });
    const pairs = [
      ["videos", "text2video"],
      ["images", "generations"],
      ["audio", "text-to-audio"],
      ["videos", "lip-sync"],
    ] as const;
    const subscriptions: string[] = [];
    for (const [i, [action, action2]] of pairs.entries()) {
      const taskId = await simulatedTask(action, action2, { submittedMs: 200, processingMs: 800, outcome: i === 3 ? "failed" : "succeed" });
      subscriptions.push(
        (await client.register({ task_id: taskId, action, action2, callback_url: `${network.url}/hooks/app`, metadata: { n: i } })).id,
      );
    }
    const doomedTask = await simulatedTask("videos", "image2video", { submittedMs: 200, processingMs: 600 });
    const doomed = (
      await client.register({ task_id: doomedTask, action: "videos", action2: "image2video", callback_url: `${network.url}/hooks/down` })
    ).id;

    // Log in: the key goes in a form field, never in the URL.
    await page.goto(`${relay.url}/`);
    await expect.poll(() => page.locator("body").getAttribute("data-page")).toBe("login");
    await shot("login");
    await page.fill('input[name="api_key"]', API_KEY);
    await Promise.all([page.waitForURL(`${relay.url}/`), page.click('button[type="submit"]')]);
    expect(await page.locator("body").getAttribute("data-page")).toBe("overview");
    expect(await page.locator("header .who").innerText()).toContain("default");
    expect(page.url()).not.toContain(API_KEY);
    const [session] = await page.context().cookies();
    expect(session).toMatchObject({ name: "__Host-relay_session", httpOnly: true, secure: true, sameSite: "Strict" });
    expect(session!.value).not.toContain(API_KEY);
    expect(await countText("tasksPolling")).toBe("5");
    expect(await countText("subscriptionsDelivered")).toBe("0");

    // The counts move as ticks run, without a reload.
    await page.evaluate(MARK_DOCUMENT);
    const allSettled = async () => {
      const states = await Promise.all([...subscriptions, doomed].map(async (id) => (await client.subscription(id)).status));
      return states.slice(0, 4).every((s) => s === "delivered") && states[4] === "failed";
    };
    await tickUntil(allSettled);
    await expect.poll(() => countText("subscriptionsDelivered"), { timeout: 15_000 }).toBe("4");
    expect(await countText("subscriptionsFailed")).toBe("1");
    expect(await countText("tasksPolling")).toBe("0");
    expect(await page.evaluate(SAME_DOCUMENT)).toBe(true);
    await expect.poll(() => page.locator("#overview-failed tr[data-subscription]").count()).toBe(1);
    await shot("overview");
    if (process.env.UPDATE_README_SCREENSHOT === "1")
      copyFileSync(path.join(SHOTS, "overview.png"), path.join(ROOT, "test/browser/screenshots/dashboard.png"));

    // The dead letters, then the task: upstream payload and every attempt.
    await page.click('nav a:has-text("Failed")');
    await expect.poll(() => page.locator("tr[data-subscription]").count()).toBe(1);
    await shot("failed");
    await page.click(`a:has-text("${doomedTask}")`);
    // Task ids are unique per tenant: the link names the tenant (a RELAY_API_KEYS key's is `default`).
    await page.waitForURL((url) => url.pathname === `/dashboard/tasks/${doomedTask}` && url.searchParams.get("tenant") === "default");
    expect(await page.locator("pre.payload").innerText()).toContain('"task_status": "succeed"');
    const attempts = page.locator(`article[data-subscription="${doomed}"] tr[data-attempt]`);
    expect(await attempts.count()).toBe(2);
    await shot("task");

    // Redeliver once the receiver is back, and see the new attempt arrive on its own.
    network.receivers.configure("down", { secret: SECRET, steps: [{ status: 200 }] });
    await Promise.all([
      page.waitForURL(/notice=redelivered/),
      page.click(`article[data-subscription="${doomed}"] button:has-text("Redeliver")`),
    ]);
    expect(await page.locator(".notice").innerText()).toContain("Redelivery queued");
    await page.evaluate(MARK_DOCUMENT);
    await tickUntil(async () => (await client.subscription(doomed)).status === "delivered");
    await expect.poll(() => attempts.count(), { timeout: 15_000 }).toBe(3);
    expect(await attempts.nth(2).innerText()).toContain("HTTP 200");
    expect(await page.evaluate(SAME_DOCUMENT)).toBe(true);
    await shot("task-redelivered");

    // The task table, filtered.
    await page.goto(`${relay.url}/dashboard/tasks?state=stopped&kind=videos/text2video`);
    expect(await page.locator("tr[data-task]").count()).toBe(1);
    await page.goto(`${relay.url}/dashboard/tasks`);
    expect(await page.locator("tr[data-task]").count()).toBe(5);
    await shot("tasks");

    // The endpoints: the receiver that was down shows its three attempts, one of them a 2xx.
    await page.click('nav a:has-text("Endpoints")');
    expect(await page.locator("tr[data-endpoint]").count()).toBe(2);
    const down = page.locator('tr[data-endpoint]:has-text("/hooks/down")');
    expect(await down.locator('[data-stat="attempts"]').innerText()).toBe("3");
    expect(await down.locator('[data-stat="success"]').innerText()).toBe("33.3 %");
    expect(await down.getAttribute("data-state")).toBe("healthy");
    await shot("endpoints");

    // The reference: Scalar's, rendered from /openapi.json with its bundle from this Worker only.
    await page.goto(`${relay.url}/docs`);
    await expect.poll(() => page.getByText("Register a callback for a Kling task").first().isVisible(), { timeout: 30_000 }).toBe(true);
    await expect.poll(() => page.getByText("/v1/tasks/{task_id}").first().isVisible()).toBe(true);
    expect(await page.locator("body").innerText()).toContain("POST");
    await shot("docs", false);
    await page.getByText("Register a callback for a Kling task").first().click();
    await expect.poll(() => page.getByText("callback_url").first().isVisible()).toBe(true);
    await shot("docs-operation", false);

    // Log out: the cookie is gone and pages ask for the key again.
    await page.goto(`${relay.url}/`);
    await Promise.all([page.waitForURL(`${relay.url}/`), page.click("form.logout button")]);
    expect(await page.locator("body").getAttribute("data-page")).toBe("login");
    expect(await page.context().cookies()).toEqual([]);
    await page.goto(`${relay.url}/dashboard/tasks`);
    expect(await page.locator("body").getAttribute("data-page")).toBe("login");
    // The 401 of that last page is the only expected console error.
    expect(consoleErrors.filter((e) => !/status of 401/.test(e))).toEqual([]);
    // data: URLs (Scalar's images) are no request to another origin; everything else is the relay.
    expect([...requestOrigins].filter((origin) => origin !== "null")).toEqual([relay.url]);
  });
});
