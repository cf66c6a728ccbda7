/** The OpenAPI document: complete (every route), 3.1, and true to what the API answers. */
import { describe, expect, it } from "vitest";
import type { z } from "zod";
import {
  ErrorEnvelopeSchema,
  HealthSchema,
  SubscriptionSchema,
  SubscriptionWithDeliveriesSchema,
  TaskSchema,
} from "../src/api-kit/api-schemas";
import { app } from "../src/app";
import { dashboard } from "../src/dashboard/dashboard-routes";
import { docsRoutes } from "../src/http/docs/docs-routes";
import { api, manualClock, postJson, receiver, resetDb, tick, upstreamTask } from "./support/relay";

type Json = Record<string, any>;
type Operation = { responses: Record<string, { content?: Record<string, { schema?: Json }> }>; security?: unknown[] };

async function fetchDocument(): Promise<Json> {
  const res = await api("/openapi.json", {}, null);
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toMatch(/^application\/json/);
  return (await res.json()) as Json;
}

const openApiPath = (path: string) => path.replace(/:([A-Za-z0-9_]+)/g, "{$1}");

/** HTML pages and their assets: browser pages of the same app, not API operations. */
const PAGES = new Set([...dashboard.routes, ...docsRoutes().routes].map((r) => `${r.method} ${r.path}`));

/** Fails on a field the schema does not name (zod would silently strip it), at every level given. */
function expectExactKeys(value: Json, schema: z.ZodObject, label: string) {
  expect(Object.keys(value).sort(), label).toEqual(Object.keys(schema.shape).sort());
}

describe("the OpenAPI document", () => {
  it("is OpenAPI 3.1, served without a key, with the error envelope and the bearer scheme as components", async () => {
    const doc = await fetchDocument();
    expect(doc.openapi).toBe("3.1.0");
    expect(doc.info).toMatchObject({ title: "kling-webhook-relay", version: expect.any(String) });
    expect(doc.components.schemas.Error).toMatchObject({ type: "object", required: ["error"] });
    expect(doc.components.securitySchemes.bearerAuth).toEqual(expect.objectContaining({ type: "http", scheme: "bearer" }));
    expect(doc.webhooks.taskEvent.post.requestBody.content["application/json"].schema).toEqual({
      $ref: "#/components/schemas/WebhookEvent",
    });
  });

  it("describes every route the app serves (its HTML pages and their assets aside)", async () => {
    const doc = await fetchDocument();
    const routes = app.routes.filter((r) => r.method !== "ALL" && !PAGES.has(`${r.method} ${r.path}`));
    expect(routes.length).toBeGreaterThanOrEqual(7);
    const undocumented = routes
      .filter((r) => !doc.paths[openApiPath(r.path)]?.[r.method.toLowerCase()])
      .map((r) => `${r.method} ${r.path}`);
    expect(undocumented).toEqual([]);
    // And nothing documented that is not served.
    const served = new Set(routes.map((r) => `${r.method.toLowerCase()} ${openApiPath(r.path)}`));
    const documented = Object.entries(doc.paths as Record<string, Json>).flatMap(([path, item]) =>
      Object.keys(item).map((method) => `${method} ${path}`),
    );
    expect(documented.filter((d) => !served.has(d))).toEqual([]);
  });

  it("gives every JSON response a schema, every error the Error envelope, and every /v1 operation the bearer scheme", async () => {
    const doc = await fetchDocument();
    for (const [path, item] of Object.entries(doc.paths as Record<string, Record<string, Operation>>)) {
      for (const [method, op] of Object.entries(item)) {
        for (const [status, response] of Object.entries(op.responses)) {
          const schema = response.content?.["application/json"]?.schema;
          if (Number(status) >= 400) expect(schema, `${method} ${path} ${status}`).toEqual({ $ref: "#/components/schemas/Error" });
          // A success has a schema: JSON's, or (GET /files/...) the file's; 204 and 304 have no body.
          else if (status !== "204" && status !== "304")
            expect(schema ?? response.content?.["*/*"]?.schema, `${method} ${path} ${status}`).toBeDefined();
        }
        // The API and CometAPI's paths served by the relay need a key; the callback route its token.
        expect(Boolean(op.security?.length), `${method} ${path} security`).toBe(path.startsWith("/v1/") || path.startsWith("/kling/"));
      }
    }
  });

  it("documents the registration body from the zod schema that validates it", async () => {
    const doc = await fetchDocument();
    const body = doc.paths["/v1/tasks"].post.requestBody.content["application/json"].schema;
    expect(body).toEqual({ $ref: "#/components/schemas/Registration" });
    const registration = doc.components.schemas.Registration;
    // action and action2 depend on the provider (a task of Kling's new API has neither); task_id
    // or, instead, create (a task created through the relay).
    expect(registration.required).toEqual(["callback_url"]);
    expect(registration.properties.create.type).toBe("object");
    expect(registration.properties.path.pattern).toContain("text-to-video");
    expect(registration.additionalProperties).toBe(false);
    expect(registration.properties.task_id.pattern).toBe("^[A-Za-z0-9_-]{1,128}$");
    expect(registration.properties.events.items.enum).toContain("task.succeeded");
  });
});

describe("responses match their documented schemas", () => {
  it("for the whole lifecycle: register, read, redeliver, errors", async () => {
    await resetDb();
    const task = await upstreamTask([{ status: "succeed", result: { videos: [] } }]);
    const hook = await receiver();
    const created = await postJson("/v1/tasks", {
      task_id: task.id,
      action: "videos",
      action2: "text2video",
      callback_url: hook.url,
      metadata: { a: 1 },
    });
    expect(created.status).toBe(201);
    const subscription = SubscriptionSchema.parse(await created.json());
    expectExactKeys(subscription, SubscriptionSchema, "subscription");
    await tick(manualClock());

    const taskBody = (await (await api(`/v1/tasks/${task.id}`)).json()) as Json;
    TaskSchema.parse(taskBody);
    expectExactKeys(taskBody, TaskSchema, "task");
    const sub = taskBody.subscriptions[0];
    expectExactKeys(sub, SubscriptionWithDeliveriesSchema, "task.subscriptions[]");
    expect(sub.deliveries).toHaveLength(1);
    expectExactKeys(sub.deliveries[0], SubscriptionWithDeliveriesSchema.shape.deliveries.element, "delivery");
    expectExactKeys(
      sub.deliveries[0].attempts[0],
      SubscriptionWithDeliveriesSchema.shape.deliveries.element.shape.attempts.element,
      "attempt",
    );

    const redelivered = await api(`/v1/subscriptions/${subscription.id}/redeliver`, { method: "POST" });
    expect(redelivered.status).toBe(202);
    SubscriptionWithDeliveriesSchema.parse(await redelivered.json());
    HealthSchema.parse(await (await api("/healthz", {}, null)).json());

    for (const res of [await postJson("/v1/tasks", { task_id: "" }), await api("/v1/tasks/nope"), await api("/v1/tasks/x", {}, null)]) {
      const body = (await res.json()) as Json;
      ErrorEnvelopeSchema.parse(body);
      expectExactKeys(body, ErrorEnvelopeSchema, "error envelope");
    }
  });
});
