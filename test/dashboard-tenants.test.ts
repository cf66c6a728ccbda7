/**
 * The dashboard and tenants: a tenant key's session shows its tenant and only its data, and can
 * neither open nor redeliver another tenant's; the admin's shows every tenant, with a filter.
 */
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { type Browser, logIn, page, postForm } from "./support/dashboard";
import { ADMIN_KEY, manualClock, postJson, receiver, register, resetDb, tenantWithKey, tick, unique, upstreamTask } from "./support/relay";

const rowsIn = (html: string, attribute: string) => [...html.matchAll(new RegExp(`<tr ${attribute}="([^"]+)"`, "g"))].map((m) => m[1]!);
const countIn = (html: string, key: string) => new RegExp(`data-count="${key}"><span class="count-value">([^<]+)<`).exec(html)?.[1];
const sorted = (values: string[]) => [...values].sort();
const hrefs = (html: string) => [...html.matchAll(/href="([^"]+)"/g)].map((m) => m[1]!.replaceAll("&amp;", "&"));

async function html(path: string, browser: Browser, status = 200): Promise<string> {
  const res = await page(path, {}, browser);
  const text = await res.text();
  expect(res.status, `${path}: ${text.slice(0, 200)}`).toBe(status);
  return text;
}

const A_ID = "ten_aaaaaaaaaaaaaaaaaaaaaaaa";
const B_ID = "ten_bbbbbbbbbbbbbbbbbbbbbbbb";

interface TenantData {
  id: string;
  name: string;
  key: string;
  /** Task ids still polling (the shared one included), the one whose subscription failed, and those delivered (oldest first). */
  polling: string[];
  failedTask: string;
  deliveredTasks: string[];
  /** Subscription ids: active ones, the failed one, and the delivered ones (oldest first). */
  active: string[];
  failed: string;
  delivered: string[];
}

async function registerAs(key: string, taskId: string, callbackUrl: string): Promise<string> {
  const res = await postJson("/v1/tasks", { action: "videos", action2: "text2video", task_id: taskId, callback_url: callbackUrl }, key);
  const body = (await res.json()) as { id: string };
  expect(res.status, JSON.stringify(body)).toBe(201);
  return body.id;
}

/**
 * Two tenants and the default one. Each of A and B has tasks still polling and tasks whose webhook
 * was delivered (B one more of each than A, so that a count that leaks shows), one task whose only
 * subscription failed (its receiver answers 410), and a task id both registered: task ids are
 * unique only within a tenant.
 */
async function twoTenants(): Promise<{ a: TenantData; b: TenantData; shared: string; defaultTask: string }> {
  const ok = await receiver();
  const shared = (await upstreamTask([{ status: "processing" }])).id;
  const make = async (id: string, name: string, extraPolling: number): Promise<TenantData> => {
    const tenant = await tenantWithKey(id, name);
    const polling = [shared];
    const active = [await registerAs(tenant.key, shared, ok.url)];
    for (let i = 0; i <= extraPolling; i++) {
      const task = await upstreamTask([{ status: "processing" }]);
      polling.push(task.id);
      active.push(await registerAs(tenant.key, task.id, ok.url));
    }
    const failedTask = (await upstreamTask([{ status: "succeed", result: { videos: [] } }])).id;
    const failed = await registerAs(tenant.key, failedTask, (await receiver([{ status: 410 }])).url);
    const deliveredTasks: string[] = [];
    const delivered: string[] = [];
    for (let i = 0; i <= extraPolling; i++) {
      deliveredTasks.push((await upstreamTask([{ status: "succeed", result: { videos: [] } }])).id);
      delivered.push(await registerAs(tenant.key, deliveredTasks[i]!, ok.url));
    }
    return { ...tenant, polling, failedTask, deliveredTasks, active, failed, delivered };
  };
  const a = await make(A_ID, "Acme & Sons", 0);
  const b = await make(B_ID, "Bravo Studio", 1);
  const defaultTask = (await upstreamTask([{ status: "processing" }])).id;
  expect((await register({ task_id: defaultTask, callback_url: ok.url })).status).toBe(201);
  await tick(manualClock());
  return { a, b, shared, defaultTask };
}

const subscriptionRow = (id: string) =>
  env.DB.prepare(
    "SELECT s.status, s.updated_at, (SELECT json_group_array(json_array(m.status, m.attempts, m.next_attempt_at)) FROM messages m WHERE m.subscription_id = s.id) AS messages FROM subscriptions s WHERE s.id = ?",
  )
    .bind(id)
    .first();

describe("the dashboard of a tenant key", () => {
  let a: TenantData;
  let b: TenantData;
  let shared: string;
  let browser: Browser;
  beforeEach(async () => {
    await resetDb();
    ({ a, b, shared } = await twoTenants());
    browser = await logIn(a.key);
  });

  it("shows its tenant's name and id, only its counts, tasks and subscriptions, and no tenant filter or chart", async () => {
    const overview = await html("/", browser);
    expect(overview).toContain(`tenant <strong>Acme &amp; Sons</strong> <code>${A_ID}</code>`);
    expect(overview).not.toContain(B_ID);
    expect(overview).not.toContain("Bravo");
    expect(countIn(overview, "tasksPolling")).toBe("2");
    expect(countIn(overview, "subscriptionsActive")).toBe("2");
    expect(countIn(overview, "subscriptionsFailed")).toBe("1");
    expect(countIn(overview, "subscriptionsDelivered")).toBe("1");
    expect(rowsIn(overview, "data-subscription")).toEqual([a.failed]);
    expect(sorted(rowsIn(overview, "data-task"))).toEqual(sorted(a.polling));
    // The chart counts every tenant: not shown to one.
    expect(overview).not.toContain("Upstream polls per hour");
    expect(overview).not.toContain('name="tenant"');
    expect(overview).not.toContain("<th>tenant</th>");

    const tasks = await html("/dashboard/tasks", browser);
    expect(sorted(rowsIn(tasks, "data-task"))).toEqual(sorted([...a.polling, a.failedTask, ...a.deliveredTasks]));
    expect(tasks).not.toContain('name="tenant"');
    const taskLinks = hrefs(tasks).filter((h) => h.startsWith("/dashboard/tasks/"));
    expect(sorted(taskLinks)).toEqual(
      sorted([...a.polling, a.failedTask, ...a.deliveredTasks].map((t) => `/dashboard/tasks/${t}?tenant=${A_ID}`)),
    );
    // Stopped ones newest registered first; delivered subscriptions the same.
    expect(rowsIn(await html("/dashboard/tasks?state=stopped", browser), "data-task")).toEqual([...a.deliveredTasks, a.failedTask]);
    expect(rowsIn(await html("/dashboard/subscriptions?status=delivered", browser), "data-subscription")).toEqual(a.delivered);

    expect(sorted(rowsIn(await html("/dashboard/subscriptions?status=active", browser), "data-subscription"))).toEqual(sorted(a.active));
    const failed = await html("/dashboard/subscriptions?status=failed", browser);
    expect(rowsIn(failed, "data-subscription")).toEqual([a.failed]);
    expect(hrefs(failed)).toContain(`/dashboard/tasks/${a.failedTask}?tenant=${A_ID}`);
    expect(failed).not.toContain("<th>tenant</th>");
  });

  it("ignores a ?tenant= naming another tenant on every list", async () => {
    for (const tenant of [B_ID, "default"]) {
      const overview = await html(`/?tenant=${tenant}`, browser);
      expect(countIn(overview, "tasksPolling")).toBe("2");
      expect(sorted(rowsIn(overview, "data-task"))).toEqual(sorted(a.polling));
      expect(overview).toContain(`<code>${A_ID}</code>`);
      expect(sorted(rowsIn(await html(`/dashboard/tasks?tenant=${tenant}`, browser), "data-task"))).toEqual(
        sorted([...a.polling, a.failedTask, ...a.deliveredTasks]),
      );
      expect(rowsIn(await html(`/dashboard/tasks?state=stopped&tenant=${tenant}`, browser), "data-task")).toEqual([
        ...a.deliveredTasks,
        a.failedTask,
      ]);
      expect(rowsIn(await html(`/dashboard/subscriptions?status=delivered&tenant=${tenant}`, browser), "data-subscription")).toEqual(
        a.delivered,
      );
      const subscriptions = await html(`/dashboard/subscriptions?status=active&tenant=${tenant}`, browser);
      expect(sorted(rowsIn(subscriptions, "data-subscription"))).toEqual(sorted(a.active));
      expect(rowsIn(await html(`/dashboard/subscriptions?status=failed&tenant=${tenant}`, browser), "data-subscription")).toEqual([
        a.failed,
      ]);
    }
    // The task-id search opens the task of its own tenant.
    const found = await page(`/dashboard/tasks?tenant=${B_ID}&task_id=${b.failedTask}`, {}, browser);
    expect(found.headers.get("location")).toBe(`/dashboard/tasks/${b.failedTask}?tenant=${A_ID}`);
  });

  it("cannot open another tenant's task, even naming its tenant; a task id both have opens its own", async () => {
    for (const path of [`/dashboard/tasks/${b.failedTask}`, `/dashboard/tasks/${b.failedTask}?tenant=${B_ID}`]) {
      const text = await html(path, browser, 404);
      expect(text).toContain("Task not found");
      expect(text).not.toContain(b.failed);
    }
    for (const path of [`/dashboard/tasks/${shared}`, `/dashboard/tasks/${shared}?tenant=${B_ID}`]) {
      const text = await html(path, browser);
      expect(text).toContain(`data-subscription="${a.active[0]}"`);
      expect(text).not.toContain(b.active[0]);
    }
  });

  it("cannot redeliver another tenant's subscription, one or in bulk: it answers as not found and nothing changes", async () => {
    const before = await subscriptionRow(b.failed);
    expect(before).toMatchObject({ status: "failed" });
    const one = await postForm(`/dashboard/subscriptions/${b.failed}/redeliver`, [], browser);
    expect(one.status).toBe(303);
    expect(one.headers.get("location")).toBe("/dashboard/subscriptions?status=failed&notice=not_found");
    expect(await html(one.headers.get("location")!, browser)).toContain("No such subscription.");
    const bulk = await postForm(
      "/dashboard/redeliver",
      [
        ["ids", b.failed],
        ["tenant", B_ID],
      ],
      browser,
    );
    expect(bulk.headers.get("location")).toBe("/dashboard/subscriptions?status=failed&redelivered=0&skipped=1");
    expect(await subscriptionRow(b.failed)).toEqual(before);

    // Its own still works.
    const own = await postForm(`/dashboard/subscriptions/${a.failed}/redeliver`, [], browser);
    expect(own.headers.get("location")).toBe(`/dashboard/tasks/${a.failedTask}?tenant=${A_ID}&notice=redelivered`);
    expect(await subscriptionRow(a.failed)).toMatchObject({ status: "active" });
  });
});

describe("the dashboard of the admin key", () => {
  let a: TenantData;
  let b: TenantData;
  let shared: string;
  let defaultTask: string;
  let admin: Browser;
  beforeEach(async () => {
    await resetDb();
    ({ a, b, shared, defaultTask } = await twoTenants());
    admin = await logIn(ADMIN_KEY);
  });

  it("sees every tenant, with a tenant column, links that name the tenant, and the relay-wide chart", async () => {
    const overview = await html("/", admin);
    expect(overview).toContain("<strong>admin</strong> — all tenants");
    expect(countIn(overview, "tasksPolling")).toBe(String(a.polling.length + b.polling.length + 1));
    expect(countIn(overview, "subscriptionsFailed")).toBe("2");
    expect(sorted(rowsIn(overview, "data-subscription"))).toEqual(sorted([a.failed, b.failed]));
    expect(overview).toContain("Upstream polls per hour");
    expect(overview).toContain("<th>tenant</th>");
    // The filter lists every tenant, and "all tenants" is chosen.
    expect(overview).toMatch(/<select name="tenant"><option value="" selected="">all tenants<\/option>/);
    for (const [id, label] of [
      ["default", "default"],
      [A_ID, `Acme &amp; Sons (${A_ID})`],
      [B_ID, `Bravo Studio (${B_ID})`],
    ])
      expect(overview).toContain(`<option value="${id}">${label}</option>`);

    const tasks = await html("/dashboard/tasks", admin);
    expect(sorted(rowsIn(tasks, "data-task"))).toEqual(
      sorted([...a.polling, a.failedTask, ...a.deliveredTasks, ...b.polling, b.failedTask, ...b.deliveredTasks, defaultTask]),
    );
    const links = hrefs(tasks).filter((h) => h.startsWith("/dashboard/tasks/"));
    expect(links).toContain(`/dashboard/tasks/${shared}?tenant=${A_ID}`);
    expect(links).toContain(`/dashboard/tasks/${shared}?tenant=${B_ID}`);
    expect(links).toContain(`/dashboard/tasks/${defaultTask}?tenant=default`);
    expect(links.every((h) => /\?tenant=[\w]+$/.test(h))).toBe(true);
    expect(tasks).toContain(`<td class="tenant" title="${B_ID}">Bravo Studio</td>`);

    // The task both registered: each tenant's own through its link; without one, the oldest.
    expect(await html(`/dashboard/tasks/${shared}?tenant=${B_ID}`, admin)).toContain(`data-subscription="${b.active[0]}"`);
    const oldest = await html(`/dashboard/tasks/${shared}`, admin);
    expect(oldest).toContain(`data-subscription="${a.active[0]}"`);
    expect(oldest).toContain(`<code>${A_ID}</code>`);

    // And redelivers any tenant's subscription, back to its tenant's task page.
    const res = await postForm(`/dashboard/subscriptions/${b.failed}/redeliver`, [], admin);
    expect(res.headers.get("location")).toBe(`/dashboard/tasks/${b.failedTask}?tenant=${B_ID}&notice=redelivered`);
    expect(await subscriptionRow(b.failed)).toMatchObject({ status: "active" });
  });

  it("narrows every page to one tenant with the filter, and keeps it on links, tabs, the search and bulk redelivery", async () => {
    const overview = await html(`/?tenant=${B_ID}`, admin);
    expect(overview).toContain(`<strong>admin</strong> — tenant <strong>Bravo Studio</strong> <code>${B_ID}</code>`);
    expect(overview).toContain(`<option value="${B_ID}" selected="">`);
    expect(countIn(overview, "tasksPolling")).toBe(String(b.polling.length));
    expect(countIn(overview, "subscriptionsActive")).toBe(String(b.active.length));
    expect(countIn(overview, "subscriptionsFailed")).toBe("1");
    expect(countIn(overview, "subscriptionsDelivered")).toBe(String(b.delivered.length));
    expect(rowsIn(overview, "data-subscription")).toEqual([b.failed]);
    expect(sorted(rowsIn(overview, "data-task"))).toEqual(sorted(b.polling));
    expect(overview).toContain("The charts count every tenant&#39;s activity.");
    const links = hrefs(overview);
    for (const href of ["/dashboard/tasks", "/dashboard/subscriptions?status=failed", "/dashboard/tasks?state=polling"])
      expect(links).toContain(`${href}${href.includes("?") ? "&" : "?"}tenant=${B_ID}`);

    const tasks = await html(`/dashboard/tasks?tenant=${B_ID}`, admin);
    expect(sorted(rowsIn(tasks, "data-task"))).toEqual(sorted([...b.polling, b.failedTask, ...b.deliveredTasks]));
    expect(rowsIn(await html(`/dashboard/tasks?tenant=${A_ID}&state=stopped`, admin), "data-task")).toEqual([
      ...a.deliveredTasks,
      a.failedTask,
    ]);
    // Newest registered first.
    expect(rowsIn(await html(`/dashboard/subscriptions?status=delivered&tenant=${B_ID}`, admin), "data-subscription")).toEqual(
      [...b.delivered].reverse(),
    );
    expect(rowsIn(await html(`/dashboard/tasks?tenant=${B_ID}&state=stopped`, admin), "data-task")).toEqual([
      ...[...b.deliveredTasks].reverse(),
      b.failedTask,
    ]);
    expect(rowsIn(await html("/dashboard/tasks?tenant=ten_nobody&state=all", admin), "data-task")).toEqual([]);

    // The search opens the filtered tenant's task.
    const found = await page(`/dashboard/tasks?tenant=${B_ID}&task_id=${shared}`, {}, admin);
    expect(found.headers.get("location")).toBe(`/dashboard/tasks/${shared}?tenant=${B_ID}`);

    const subscriptions = await html(`/dashboard/subscriptions?status=active&tenant=${A_ID}`, admin);
    expect(sorted(rowsIn(subscriptions, "data-subscription"))).toEqual(sorted(a.active));
    expect(hrefs(subscriptions)).toContain(`/dashboard/subscriptions?status=failed&tenant=${A_ID}`);
    expect(subscriptions).toContain('<input type="hidden" name="status" value="active"/>');

    // Bulk redelivery goes back to the filtered list.
    const bulk = await postForm(
      "/dashboard/redeliver",
      [
        ["ids", a.failed],
        ["tenant", A_ID],
      ],
      admin,
    );
    expect(bulk.headers.get("location")).toBe(`/dashboard/subscriptions?status=failed&redelivered=1&skipped=0&tenant=${A_ID}`);
  });

  it("keeps the filter on the pager's links", async () => {
    const ok = await receiver();
    for (let i = 0; i < 26; i++) await registerAs(a.key, unique("page"), ok.url);
    const first = await html(`/dashboard/tasks?tenant=${A_ID}&kind=videos/text2video`, admin);
    expect(rowsIn(first, "data-task")).toHaveLength(25);
    const older = /href="([^"]+)" rel="next"/.exec(first)![1]!.replaceAll("&amp;", "&");
    expect(older).toMatch(new RegExp(`^/dashboard/tasks\\?tenant=${A_ID}&state=all&kind=videos%2Ftext2video&after=\\d+\\.\\d+$`));
    const second = await html(older, admin);
    expect(rowsIn(second, "data-task")).toHaveLength(26 + a.polling.length + 1 + a.deliveredTasks.length - 25);
    expect(second).toContain(`<a href="/dashboard/tasks?tenant=${A_ID}&amp;state=all&amp;kind=videos%2Ftext2video">← newest</a>`);
    expect([...second.matchAll(/<tr data-task="[^"]+" data-tenant="([^"]+)"/g)].every((m) => m[1] === A_ID)).toBe(true);
  });
});
