import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { ApiError } from "../api-kit/api-error";
import { authenticated, errors, json } from "../api-kit/openapi-document";
import { validationHook } from "../api-kit/validation";
import { ATTEMPT_ERROR_CLASSES, attemptErrorClass } from "../domain/attempt-error-class";
import { MESSAGE_STATUSES } from "../domain/message-states";
import { isParked } from "../domain/parked-time";
import { openDb } from "../storage/db";
import { listAttempts, listMessages, MAX_LISTED_ATTEMPTS, type MessageCursor, type MessageListRow } from "../storage/list-messages";
import { endpointOr404 } from "./endpoint-params";
import { pageLimit, type V1Env } from "./v1-params";

const messagesTag = { tags: ["messages"], ...authenticated };
const timestamp = z.string().openapi({ format: "date-time", example: "2026-11-24T05:06:09.935Z" });
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** `next_cursor`: the last row's `created_at` and id (`1764990000000_msg_...`), the keyset the list continues from. */
const CURSOR = /^(\d{1,16})_([A-Za-z0-9_]{1,64})$/;
const cursorOf = (after: string | undefined): MessageCursor | undefined => {
  const m = after === undefined ? null : CURSOR.exec(after);
  return m ? { createdAt: Number(m[1]), id: m[2]! } : undefined;
};

const ListQuery = z.object({
  endpoint_id: z
    .string()
    .max(64)
    .optional()
    .openapi({ param: { name: "endpoint_id", in: "query" }, description: "Only the messages of this endpoint's subscriptions" }),
  status: z
    .enum(MESSAGE_STATUSES)
    .optional()
    .openapi({ param: { name: "status", in: "query" }, description: "Only messages in this status" }),
  after: z
    .string()
    .regex(CURSOR, "must be the `next_cursor` of the previous page")
    .optional()
    .openapi({ param: { name: "after", in: "query" }, description: "`next_cursor` of the previous page" }),
  limit: pageLimit,
});

const MessageIdParams = z.object({
  id: z
    .string()
    .max(64)
    .openapi({
      param: { name: "id", in: "path" },
      description: "The message's id (its `webhook-id`)",
      example: "msg_6f1c0d2e9a8b4c7d5e3f1a2b",
    }),
});

const MessageSchema = z
  .object({
    id: z.string().openapi({ description: "The `webhook-id` it is sent with" }),
    subscription_id: z.string(),
    endpoint_id: z.string(),
    provider: z.string(),
    task_id: z.string(),
    event_type: z.string().openapi({ example: "task.succeeded" }),
    status: z.enum(MESSAGE_STATUSES),
    attempts: z.number().int().openapi({ description: "Attempts made so far" }),
    next_attempt_at: timestamp.nullable().openapi({ description: "When the next attempt is due; null unless pending and due" }),
    last_status_code: z.number().int().nullable().openapi({ description: "The last attempt's HTTP status, null if it got none" }),
    last_error: z.string().nullable().openapi({ description: "Why the last attempt failed, if it did" }),
    created_at: timestamp,
    delivered_at: timestamp.nullable(),
  })
  .openapi("Message");

const MessageListSchema = z
  .object({
    data: z.array(MessageSchema),
    next_cursor: z.string().nullable().openapi({ description: "Pass as `after` for the next (older) page; null on the last page" }),
  })
  .openapi("MessageList");

const AttemptListSchema = z
  .object({
    data: z.array(
      z.object({
        attempted_at: timestamp,
        status_code: z.number().int().nullable().openapi({ description: "The receiver's HTTP status, null if it answered none" }),
        duration_ms: z.number().int(),
        error: z.string().nullable().openapi({ description: "Why the attempt failed, in words; null when delivered" }),
        error_class: z.enum(ATTEMPT_ERROR_CLASSES).nullable().openapi({
          description:
            "What kind of failure: `http_3xx`, `http_4xx`, `http_5xx` (the receiver's status), `timeout`, `network` (no answer: DNS, refused, reset, TLS), `refused` (not sent: the URL failed the relay's address checks); null when delivered",
        }),
        response_body: z.string().nullable().openapi({
          description: "The first 1 KiB of the receiver's answer, as text; null when it sent none (or there was no answer)",
        }),
      }),
    ),
  })
  .openapi("MessageAttemptList");

const present = (m: MessageListRow): z.infer<typeof MessageSchema> => ({
  id: m.id,
  subscription_id: m.subscription_id,
  endpoint_id: m.endpoint_id,
  provider: m.provider,
  task_id: m.task_id,
  event_type: m.event_type,
  status: m.status,
  attempts: m.attempts,
  // A parked due time (the tenant suspended) is no time: null, like the task view says it.
  next_attempt_at: m.status === "pending" && !isParked(m.next_attempt_at) ? iso(m.next_attempt_at) : null,
  last_status_code: m.last_status_code,
  last_error: m.last_error,
  created_at: iso(m.created_at)!,
  delivered_at: iso(m.delivered_at),
});

/**
 * `/v1/messages`: the attempts log, what became of each webhook the tenant's subscriptions were
 * sent. Read-only; another tenant's message answers as a missing one does.
 */
export const messageRoutes = new OpenAPIHono<V1Env>({ defaultHook: validationHook })
  .openapi(
    createRoute({
      ...messagesTag,
      method: "get",
      path: "/messages",
      summary: "Your webhook messages",
      description:
        "Newest first, a page at a time, optionally only one endpoint's (an endpoint you do not have answers 404) or one status's.",
      request: { query: ListQuery },
      responses: { 200: json(MessageListSchema, "A page of messages"), ...errors([400, 401, 404, 429]) },
    }),
    async (c) => {
      const { endpoint_id, status, after, limit } = c.req.valid("query");
      const tenant = c.get("tenantId");
      if (endpoint_id !== undefined) await endpointOr404(c, endpoint_id);
      const page = await listMessages(openDb(c.env.DB), tenant, { endpointId: endpoint_id, status, after: cursorOf(after), limit });
      return c.json({ data: page.rows.map(present), next_cursor: page.next ? `${page.next.createdAt}_${page.next.id}` : null }, 200);
    },
  )
  .openapi(
    createRoute({
      ...messagesTag,
      method: "get",
      path: "/messages/{id}/attempts",
      summary: "A message's delivery attempts",
      description: `Oldest first, at most ${MAX_LISTED_ATTEMPTS}.`,
      request: { params: MessageIdParams },
      responses: { 200: json(AttemptListSchema, "The attempts"), ...errors([401, 404, 429]) },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const attempts = await listAttempts(openDb(c.env.DB), c.get("tenantId"), id);
      if (!attempts) throw new ApiError("not_found", `no message ${id}`);
      return c.json(
        {
          data: attempts.map((a) => ({
            attempted_at: iso(a.attempted_at)!,
            status_code: a.status_code,
            duration_ms: a.duration_ms,
            error: a.error,
            error_class: attemptErrorClass(a.status_code, a.error),
            response_body: a.response_body,
          })),
        },
        200,
      );
    },
  );
