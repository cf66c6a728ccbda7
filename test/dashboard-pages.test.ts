/** The dashboard's pages: what they show, escaping, filters and pages, and redelivery from them. */
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { type Browser, logIn, page, postForm } from "./support/dashboard";
import {
  ADMIN_KEY,
  manualClock,
  receiver,
  register,
  resetDb,
  subscriptionView,
  taskView,
  tenantWithKey,
  tick,
  upstreamTask,
} from "./support/relay";

const rowsIn = (html: string, attribute: string) => [...html.matchAll(new RegExp(`<tr ${attribute}="([^"]+)"`, "g"))].map((m) => m[1]!);
const countIn = (html: string, key: string) => new RegExp(`data-count="${key}"><span class="count-value">([^<]+)<`).exec(html)?.[1];

async function html(path: string, browser: Browser, status = 200): Promise<string> {
  const res = await page(path, {}, browser);
  const text = await res.text();
  expect(res.status, `${path}: ${text.slice(0, 200)}`).toBe(status);
  return text;
}

/** A task whose only subscription failed for good: its receiver answers 410 Gone. */
async function failedSubscription() {
  const task = await upstreamTask([{ status: "succeed", result: { videos: [] } }]);
  const hook = await receiver([{ status: 410 }]);
  const { body } = await register({ task_id: task.id, callback_url: hook.url });
  await tick(manualClock());
  expect((await subscriptionView(body.id)).status).toBe("failed");
  return { task, hook, id: body.id as string };
}

describe("dashboard pages", () => {
  let browser: Browser;
  beforeEach(async () => {
    await resetDb();
    browser = await logIn();
  });

  it("shows a status the relay does not know, with the answer it came in", async () => {
    const task = await upstreamTask([{ status: "in_review", extra: { note: "kept-answer" } }]);
    await register({ task_id: task.id, callback_url: (await receiver()).url });
    await tick(manualClock());
    const detail = await html(`/dashboard/tasks/${task.id}`, browser);
    expect(detail).toContain("in_review");
    expect(detail).toContain("kept-answer");
    expect(detail).not.toContain("no answer received yet");
  });

  it("counts by state, lists the dead letters on the overview, and charts the hour's polls for the admin (and the only tenant)", async () => {
    const failed = await failedSubscription();
    const polling = await upstreamTask([{ status: "processing" }]);
    await register({ task_id: polling.id, callback_url: (await receiver()).url });
    const overview = await html("/", browser);
    expect(countIn(overview, "tasksPolling")).toBe("1");
    expect(countIn(overview, "subscriptionsActive")).toBe("1");
    expect(countIn(overview, "subscriptionsFailed")).toBe("1");
    expect(countIn(overview, "subscriptionsDelivered")).toBe("0");
    expect(rowsIn(overview, "data-subscription")).toEqual([failed.id]);
    expect(rowsIn(overview, "data-task")).toEqual([polling.id]);
    // The chart counts every tenant's polls and webhooks: the only tenant sees it, but once there
    // is another tenant, a tenant's session does not.
    expect(overview).toMatch(/Upstream polls per hour <span class="muted">24 h: [1-9]/);
    await tenantWithKey("ten_other", "other");
    expect(await html("/", browser)).not.toContain("Upstream polls per hour");
    const admin = await html("/", await logIn(ADMIN_KEY));
    expect(admin).toMatch(/Upstream polls per hour <span class="muted">24 h: [1-9]/);
    expect(admin).toMatch(/Webhook attempts per hour <span class="muted">24 h: [1-9]\d* attempts, [1-9]\d* failed/);
  });

  it("escapes everything from outside: metadata, upstream data, callback URLs, query parameters", async () => {
    const evil = "<script>alert(1)</script>";
    const task = await upstreamTask([{ status: "failed", msg: `</pre>${evil}` }]);
    const hook = await receiver();
    const registered = await register({ task_id: task.id, callback_url: `${hook.url}?x=%22%3E%3Cimg`, metadata: { note: evil } });
    expect(registered.status).toBe(201);
    await tick(manualClock());
    const pages = [
      await html(`/dashboard/tasks/${task.id}`, browser),
      await html(`/dashboard/tasks?task_id=${encodeURIComponent(evil)}&kind=${encodeURIComponent(evil)}`, browser),
    ];
    for (const text of pages) {
      expect(text).not.toContain("<script>alert");
      expect(text).not.toMatch(/<img/);
    }
    expect(pages[0]).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
  });

  it("filters tasks by state and kind, and pages through them without overlap", async () => {
    const hook = await receiver();
    for (let i = 0; i < 27; i++) await register({ task_id: `page-${String(i).padStart(2, "0")}`, callback_url: hook.url });
    await register({ task_id: "an-image", action: "images", action2: "generations", callback_url: hook.url });
    const first = rowsIn(await html("/dashboard/tasks?state=polling&kind=videos/text2video", browser), "data-task");
    expect(first).toHaveLength(25);
    const firstPage = await html("/dashboard/tasks?state=polling&kind=videos/text2video", browser);
    const older = /href="([^"]+)" rel="next"/.exec(firstPage)![1]!.replaceAll("&amp;", "&");
    const second = rowsIn(await html(older, browser), "data-task");
    expect(second).toHaveLength(2);
    expect(new Set([...first, ...second]).size).toBe(27);
    expect(rowsIn(await html("/dashboard/tasks?kind=images/generations", browser), "data-task")).toEqual(["an-image"]);
    expect(rowsIn(await html("/dashboard/tasks?state=stopped", browser), "data-task")).toEqual([]);
    expect(rowsIn(await html("/dashboard/tasks", browser), "data-task")).toHaveLength(25);
  });

  it("answers junk filters, cursors and ids with a page, never a 500", async () => {
    for (const path of [
      "/dashboard/tasks?state=nope&kind=a/b/c&after=1.x",
      "/dashboard/tasks?after=99999999999999999.1",
      "/dashboard/subscriptions?status=zzz&after=-1",
      "/dashboard/tasks?task_id=%00",
    ]) {
      await html(path, browser);
    }
    await html("/dashboard/tasks/no-such-task", browser, 404);
    await html(`/dashboard/tasks/${"x".repeat(300)}`, browser, 404);
    const found = await page("/dashboard/tasks?task_id=some-task", {}, browser);
    expect(found.headers.get("location")).toBe("/dashboard/tasks/some-task?tenant=default");
  });

  it("shows a task's upstream payload and every attempt, and redelivers from its page", async () => {
    const { task, hook, id } = await failedSubscription();
    const before = await html(`/dashboard/tasks/${task.id}`, browser);
    expect(before).toContain("&quot;task_status&quot;: &quot;succeed&quot;");
    expect(before.match(/<tr data-attempt=/g)).toHaveLength(1);
    expect(before).toContain("HTTP 410");

    await fetch(`${env.FAKE_URL}/_sim/receivers/${hook.url.split("/").pop()}`, {
      method: "PUT",
      body: JSON.stringify({ steps: [{ status: 200 }] }),
    });
    const res = await postForm(`/dashboard/subscriptions/${id}/redeliver`, [], browser);
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe(`/dashboard/tasks/${task.id}?tenant=default&notice=redelivered`);
    expect((await subscriptionView(id)).status).toBe("active");
    await tick(manualClock());
    const after = await html(res.headers.get("location")!, browser);
    expect(after).toContain("Redelivery queued");
    expect(after.match(/<tr data-attempt=/g)).toHaveLength(2);
    expect(after).toContain("HTTP 200");
    expect((await subscriptionView(id)).status).toBe("delivered");
  });

  it("bulk-redelivers the selected dead letters through the API's own redelivery, skipping what cannot be sent", async () => {
    const failed = [await failedSubscription(), await failedSubscription(), await failedSubscription()];
    const list = await html("/dashboard/subscriptions?status=failed", browser);
    expect(rowsIn(list, "data-subscription").sort()).toEqual(failed.map((f) => f.id).sort());
    expect(list).toContain('action="/dashboard/redeliver"');
    const ids = [...failed.map((f) => f.id), "sub_000000000000000000000000"];
    const res = await postForm(
      "/dashboard/redeliver",
      ids.map((id) => ["ids", id] as [string, string]),
      browser,
    );
    expect(res.headers.get("location")).toBe("/dashboard/subscriptions?status=failed&redelivered=3&skipped=1");
    expect(await html(res.headers.get("location")!, browser)).toContain("Redelivery queued for 3 subscriptions; 1 skipped");
    for (const f of failed) {
      const view = await subscriptionView(f.id);
      expect(view).toMatchObject({ status: "active", deliveries: [{ status: "pending", attempt_count: 1 }] });
    }
    expect((await taskView(failed[0]!.task.id)).subscriptions[0].status).toBe("active");
  });
});
