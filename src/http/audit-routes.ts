import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { AuditListSchema } from "../api-kit/api-schemas";
import { authenticated, errors, json } from "../api-kit/openapi-document";
import { validationHook } from "../api-kit/validation";
import type { AuthVariables } from "../auth/auth-variables";
import type { Env } from "../env";
import { listAudit } from "../storage/audit-log";
import { openDb } from "../storage/db";
import type { Page } from "../storage/keyset";
import type { AuditLogRow } from "../storage/schema";
import { presentAuditEntry } from "./present";
import { pageLimit } from "./v1-params";

/**
 * The audit log, newest first, a page at a time: `GET /v1/audit` (a tenant's own entries) and
 * `GET /v1/admin/audit` (every entry, or one tenant's).
 */

type AuditEnv = { Bindings: Env; Variables: AuthVariables };

const PageQuery = z.object({
  limit: pageLimit,
  cursor: z
    .string()
    .regex(/^[1-9][0-9]{0,15}$/, "must be the `next_cursor` of the previous page")
    .optional()
    .openapi({ param: { name: "cursor", in: "query" }, description: "`next_cursor` of the previous page" }),
});

const cursorOf = (cursor: string | undefined) => (cursor === undefined ? undefined : { key: Number(cursor), rowid: Number(cursor) });
const answer = (page: Page<AuditLogRow>) => ({
  data: page.rows.map(presentAuditEntry),
  next_cursor: page.next ? String(page.next.key) : null,
});

const ENTRIES =
  "Time, actor (the admin, or a key's id and prefix), action, target, the client's address and small facts; never a secret. Kept AUDIT_RETENTION_DAYS (default 90).";

/** `GET /v1/audit`: mounted under `/v1`, scoped to the caller's tenant by `scopeTenant`. */
export const tenantAuditRoutes = new OpenAPIHono<AuditEnv>({ defaultHook: validationHook }).openapi(
  createRoute({
    tags: ["audit"],
    ...authenticated,
    method: "get",
    path: "/audit",
    summary: "Your audit log",
    description: `What was done to your tenant and by its keys (keys made and revoked, signing secrets read and rotated, endpoints deleted, suspension), newest first. ${ENTRIES}`,
    request: { query: PageQuery },
    responses: { 200: json(AuditListSchema, "A page of entries"), ...errors([400, 401, 429]) },
  }),
  async (c) => {
    const { limit, cursor } = c.req.valid("query");
    return c.json(answer(await listAudit(openDb(c.env.DB), { tenant: c.get("tenantId"), limit, after: cursorOf(cursor) })), 200);
  },
);

/** `GET /v1/admin/audit`: mounted under `/v1/admin`, the admin's only (`requireAdmin`). */
export const adminAuditRoutes = new OpenAPIHono<AuditEnv>({ defaultHook: validationHook }).openapi(
  createRoute({
    tags: ["admin"],
    ...authenticated,
    method: "get",
    path: "/audit",
    summary: "The relay's audit log",
    description: `Every entry, newest first, or one tenant's (\`tenant\`, deleted ones included). ${ENTRIES}`,
    request: {
      query: PageQuery.extend({
        tenant: z
          .string()
          .max(64)
          .optional()
          .openapi({ param: { name: "tenant", in: "query" }, description: "Only this tenant's entries" }),
      }),
    },
    responses: { 200: json(AuditListSchema, "A page of entries"), ...errors([400, 401, 404, 429], {}, false) },
  }),
  async (c) => {
    const { limit, cursor, tenant } = c.req.valid("query");
    const page = await listAudit(openDb(c.env.DB), { tenant: tenant || undefined, limit, after: cursorOf(cursor) });
    return c.json(answer(page), 200);
  },
);
