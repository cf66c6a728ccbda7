import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import { ApiError } from "../api-kit/api-error";
import { EndpointSchema, EndpointSecretSchema } from "../api-kit/api-schemas";
import { errors, json } from "../api-kit/openapi-document";
import { validationHook } from "../api-kit/validation";
import { ConfigError, loadConfig } from "../config";
import { openEndpointKey } from "../domain/sealed-endpoint-keys";
import { newSigningKeyPair, newWebhookSecret } from "../domain/webhook-secret";
import { systemClock } from "../lib/clock";
import { recordAudit } from "../storage/audit-log";
import { openDb } from "../storage/db";
import { rotateEndpointSecret } from "../storage/endpoints";
import { auditEntry } from "./audit";
import { type EndpointEnv, EndpointIdParams, endpoint, endpointOr404 } from "./endpoint-params";
import { presentEndpoint } from "./present";

/** `/v1/endpoints/{id}/secret` and its rotation: what the endpoint's receiver verifies `v1` signatures with. */
export const endpointSecretRoutes = new OpenAPIHono<EndpointEnv>({ defaultHook: validationHook })
  .openapi(
    createRoute({
      ...endpoint,
      method: "get",
      path: "/endpoints/{id}/secret",
      summary: "The endpoint's signing secret",
      description: "What its receiver verifies `v1` signatures with. Keep it as secret as an API key.",
      request: { params: EndpointIdParams },
      responses: {
        200: json(EndpointSecretSchema, "The current secret"),
        ...errors([401, 404, 429, 503], { 503: "The secret is sealed with a key SECRETS_KEY does not hold (see the logs)" }),
      },
    }),
    async (c) => {
      const row = await endpointOr404(c, c.req.valid("param").id);
      const key = await openEndpointKey(loadConfig(c.env).secretsKeyring, row.id, "secret", row.secret).catch((error: Error) => {
        // SECRETS_KEY lacks the key that sealed it: the operator's to fix (logged), not the caller's.
        throw ConfigError.of("SECRETS_KEY", error.message);
      });
      await recordAudit(openDb(c.env.DB), auditEntry(c, row.tenantId, "endpoint.secret_read", row.id));
      // Never cached: a secret must not linger in a proxy or a browser.
      c.header("cache-control", "no-store");
      return c.json({ key }, 200);
    },
  )
  .openapi(
    createRoute({
      ...endpoint,
      method: "post",
      path: "/endpoints/{id}/rotate-secret",
      summary: "Rotate the endpoint's signing secret",
      description:
        "A new secret signs from now on; the old one goes on signing beside it for SECRET_ROTATION_OVERLAP_HOURS (default 24), so the receiver can switch without losing a webhook. A secret left over from an earlier rotation stops at once.",
      request: { params: EndpointIdParams },
      responses: { 200: json(EndpointSchema, "The endpoint, with when the old secret stops"), ...errors([401, 404, 429]) },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const now = systemClock.now();
      await endpointOr404(c, id);
      const pair = await newSigningKeyPair();
      // The pair is used only if the endpoint signs v1a (see rotateEndpointSecret).
      const fresh = { secret: newWebhookSecret(), signingKey: pair.secretKey, publicKey: pair.publicKey };
      const config = loadConfig(c.env);
      const until = now + config.secretRotationOverlapMs;
      const db = openDb(c.env.DB);
      const row = await rotateEndpointSecret(db, config.secretsKeyring, c.get("tenantId"), id, fresh, until, now);
      if (!row) throw new ApiError("not_found", `no endpoint ${id}`);
      await recordAudit(db, auditEntry(c, row.tenantId, "endpoint.secret_rotate", id, { v1a: row.signingKey !== null }));
      return c.json(presentEndpoint(row, now), 200);
    },
  );
