import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import { TaskOutputsSchema, TaskSchema } from "../api-kit/api-schemas";
import { authenticated, errors, json } from "../api-kit/openapi-document";
import { validationHook } from "../api-kit/validation";
import { loadConfig } from "../config";
import { filesListed } from "../domain/archive-states";
import { systemClock } from "../lib/clock";
import { archiveFilesOfTask } from "../storage/archive-files";
import { openDb } from "../storage/db";
import { findTask, loadTaskView } from "../storage/read-models";
import { presentDelivery, presentSubscription, presentTask, presentTaskOutputs } from "./present";
import { noTask, ProviderQuery, TaskIdParams, taskRequestError, type V1Env } from "./v1-params";

/** `GET /v1/tasks/{task_id}` and its outputs: the relay's view of a task of the caller's tenant. */
export const taskRoutes = new OpenAPIHono<V1Env>({ defaultHook: validationHook })
  .openapi(
    createRoute({
      method: "get",
      path: "/tasks/{task_id}",
      tags: ["tasks"],
      summary: "The relay's view of a task",
      description: "Its last upstream status and data, its polling state, and every subscription with every delivery attempt.",
      ...authenticated,
      request: { params: TaskIdParams, query: ProviderQuery },
      responses: { 200: json(TaskSchema, "The task"), ...errors([400, 401, 404, 429, 503]) },
    }),
    async (c) => {
      const { task_id: taskId } = c.req.valid("param");
      const { provider } = c.req.valid("query");
      const view = await loadTaskView(openDb(c.env.DB), c.get("tenantId"), provider, taskId);
      if (!view) throw noTask(taskId, provider);
      return c.json(
        {
          ...presentTask(view.task),
          subscriptions: view.subscriptions.map((s) => ({
            ...presentSubscription(s.subscription, view.task),
            deliveries: s.deliveries.map(presentDelivery),
          })),
        },
        200,
      );
    },
    (result) => {
      if (!result.success) throw taskRequestError(result.target, result.error);
      return undefined;
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/tasks/{task_id}/outputs",
      tags: ["tasks"],
      summary: "A task's outputs with fresh links to their archived copies",
      description: [
        'The outputs as the webhook gives them (empty until the task succeeds), each with what became of its archived files (registered with `archive: true`): `archived_url` (`archived_watermark_url`, `archived_mp3_url`, `archived_wav_url`) for every copied file, a link signed now and valid `ARCHIVE_LINK_TTL_SECONDS` (until `links_expire_at`), so a link is never more than a request away; `archive_error` as the webhook words it for a file given up or deleted by retention (the first such file of the output); `archive_status: "pending"` while a file is still being copied.',
        "Reads only what the relay stored: never upstream. Answered with `Cache-Control: no-store`: its links are credentials.",
      ].join("\n\n"),
      ...authenticated,
      request: { params: TaskIdParams, query: ProviderQuery },
      responses: {
        200: {
          ...json(TaskOutputsSchema, "The outputs, with their archived copies"),
          headers: { "Cache-Control": { description: "`no-store`", schema: { type: "string" } } },
        },
        ...errors([400, 401, 404, 429, 503]),
      },
    }),
    async (c) => {
      const { task_id: taskId } = c.req.valid("param");
      const { provider } = c.req.valid("query");
      const db = openDb(c.env.DB);
      const task = await findTask(db, c.get("tenantId"), provider, taskId);
      if (!task) throw noTask(taskId, provider);
      const files = filesListed(task.archive) ? await archiveFilesOfTask(db, task.id) : [];
      const body = await presentTaskOutputs(task, files, loadConfig(c.env), systemClock.now());
      // The body is built as text (its outputs keep every number exactly): typed by the route's schema.
      return c.body(body, 200, { "content-type": "application/json", "cache-control": "no-store" }) as never;
    },
    (result) => {
      if (!result.success) throw taskRequestError(result.target, result.error);
      return undefined;
    },
  );
