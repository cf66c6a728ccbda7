/** The typed client (packages/client: openapi-fetch over the types of the OpenAPI document) against the real app. */
import { exports } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { createRelayClient, RelayApiError, unwrap } from "../packages/client/src";
import { ADMIN_KEY, API_KEY, manualClock, receiver, resetDb, tick, unique, upstreamTask } from "./support/relay";

const relay = (apiKey = API_KEY, tenant?: string) =>
  createRelayClient("https://relay.test", { apiKey, tenant, fetch: (request) => exports.default.fetch(request) });

describe("the typed client", () => {
  beforeEach(resetDb);

  it("registers, reads, redelivers and cancels with typed bodies", async () => {
    const task = await upstreamTask([{ status: "succeed", result: { videos: [] } }]);
    const hook = await receiver();
    const client = relay();
    const subscription = await unwrap(
      client.POST("/v1/tasks", {
        body: { task_id: task.id, action: "videos", action2: "text2video", callback_url: hook.url, metadata: { order: 7 } },
      }),
    );
    expect(subscription).toMatchObject({ task_id: task.id, status: "active", events: ["task.succeeded", "task.failed", "task.expired"] });
    await tick(manualClock());

    const view = await unwrap(client.GET("/v1/tasks/{task_id}", { params: { path: { task_id: task.id } } }));
    expect(view.task_status).toBe("succeed");
    expect(view.subscriptions[0]!.deliveries[0]!.attempts[0]!.status_code).toBe(200);

    const redelivered = await unwrap(client.POST("/v1/subscriptions/{id}/redeliver", { params: { path: { id: subscription.id } } }));
    expect(redelivered.deliveries[0]!.status).toBe("pending");
    const cancelled = await client.DELETE("/v1/subscriptions/{id}", { params: { path: { id: subscription.id } } });
    expect(cancelled.response.status).toBe(204);
    expect((await unwrap(client.GET("/healthz"))).ok).toBe(true);
  });

  it("makes a tenant and its key as the admin, and reads that tenant's endpoint and secret", async () => {
    const admin = relay(ADMIN_KEY);
    const tenant = await unwrap(admin.POST("/v1/admin/tenants", { body: { name: "typed" } }));
    const { key } = await unwrap(admin.POST("/v1/admin/tenants/{id}/keys", { params: { path: { id: tenant.id } } }));
    // Lent the operator's upstream account, and trusted with task ids the relay did not create.
    const lent = await unwrap(
      admin.PATCH("/v1/admin/tenants/{id}", { params: { path: { id: tenant.id } }, body: { shared_upstream: true, trusted: true } }),
    );
    expect(lent).toMatchObject({ shared_upstream: true, trusted: true });
    const hook = await receiver();
    const subscription = await unwrap(
      relay(key).POST("/v1/tasks", { body: { task_id: unique("task"), action: "videos", action2: "text2video", callback_url: hook.url } }),
    );
    const endpoints = await unwrap(relay(key).GET("/v1/endpoints"));
    expect(endpoints.data.map((e) => e.id)).toEqual([subscription.endpoint_id]);
    const secret = await unwrap(relay(key).GET("/v1/endpoints/{id}/secret", { params: { path: { id: subscription.endpoint_id } } }));
    expect(secret.key).toMatch(/^whsec_/);
    // The admin acting for that tenant sees the same endpoint.
    const asAdmin = await unwrap(
      relay(ADMIN_KEY, tenant.id).GET("/v1/endpoints/{id}", { params: { path: { id: subscription.endpoint_id } } }),
    );
    expect(asAdmin.url).toBe(hook.url);
  });

  it("throws the error envelope as RelayApiError", async () => {
    const refused = unwrap(
      relay().POST("/v1/tasks", { body: { task_id: unique("task"), action: "videos", action2: "text2video", callback_url: "ftp://x" } }),
    );
    await expect(refused).rejects.toMatchObject({ status: 400, code: "invalid_request", details: [{ field: "callback_url" }] });
    await expect(unwrap(relay("wrong").GET("/v1/tasks/{task_id}", { params: { path: { task_id: "x" } } }))).rejects.toBeInstanceOf(
      RelayApiError,
    );
  });
});
