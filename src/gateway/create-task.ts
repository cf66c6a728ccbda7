import type { Config } from "../config";
import {
  type CreateDialect,
  type CreateRequest,
  type CreateResult,
  classifyCreate,
  classifyLookup,
  createBody,
  createDialect,
} from "../domain/create-outcome";
import type { TenantId } from "../domain/ids";
import type { KlingCredentials } from "../domain/kling";
import { tenantInboundToken, tenantInboundUrl } from "../domain/tenant-inbound";
import type { UpstreamAccount } from "../domain/upstream-access";
import { systemClock } from "../lib/clock";
import { invalidateKlingToken, klingAuthorization } from "../upstream/kling-auth";
import { getLookup, klingExternalLookupUrl, postCreate } from "../upstream/post-create";
import { isKlingProductPath, klingLegacyUrl } from "../upstream/query-kling";

/** The relay's callback URL for a provider's tasks on the operator's account, when callbacks are configured. */
export const inboundUrl = (config: Config, provider: string): string | null =>
  config.publicBaseUrl && config.inboundToken ? `${config.publicBaseUrl}/inbound/${provider}/${config.inboundToken}` : null;

/**
 * The callback URL upstream is given for a task on `account`: the operator's, or for a tenant's
 * own account one that names the tenant (domain/tenant-inbound.ts).
 */
export async function inboundUrlFor(
  config: Config,
  provider: string,
  tenantId: TenantId,
  account: UpstreamAccount,
): Promise<string | null> {
  if (account === "operator") return inboundUrl(config, provider);
  if (!config.publicBaseUrl || !config.inboundToken) return null;
  return tenantInboundUrl(config.publicBaseUrl, provider, tenantId, await tenantInboundToken(config.inboundToken, tenantId));
}

/** How a create signs in, and where upstream is to call back. */
export interface CreateAccount {
  credentials: KlingCredentials;
  callbackUrl: string | null;
}

interface Endpoint {
  createUrl: string;
  lookupUrl: string;
  authorization: string;
}

/** Where a create goes and how it is authenticated; a string says what configuration is missing. */
async function endpointOf(
  config: Config,
  dialect: CreateDialect,
  r: CreateRequest,
  credentials: KlingCredentials,
): Promise<Endpoint | string> {
  if (dialect === "cometapi") {
    if (!("apiKey" in credentials)) return "CometAPI needs an API key";
    const base = `${config.upstreamBaseUrl}/kling/v1/${r.action}/${r.action2}`;
    return { createUrl: base, lookupUrl: `${base}/${encodeURIComponent(r.externalId)}`, authorization: `Bearer ${credentials.apiKey}` };
  }
  if (dialect === "kling-new") {
    if (!("apiKey" in credentials)) return "Kling's new API needs an API key (KLING_API_KEY, or the tenant's api_key)";
    return {
      createUrl: `${config.klingBaseUrl}/${r.path}`,
      lookupUrl: klingExternalLookupUrl(config.klingBaseUrl, r.externalId),
      authorization: await klingAuthorization(credentials, systemClock.now()),
    };
  }
  const productPath = `${r.action}/${r.action2}`;
  if (!isKlingProductPath(productPath)) return `not a product path of Kling's API: ${productPath}`;
  return {
    createUrl: `${config.klingBaseUrl}/v1/${productPath}`,
    lookupUrl: klingLegacyUrl(config.klingBaseUrl, productPath, r.externalId),
    authorization: await klingAuthorization(credentials, systemClock.now()),
  };
}

/**
 * Creates a task upstream for an app: the body with the relay's callback URL and external id,
 * POSTed once. Only a lost answer (timeout, network, 5xx, unreadable) leads to a lookup, by the
 * relay's own external id (derived from the tenant, so a lookup can only find that tenant's task);
 * a refusal is a refusal. With `lookupFirst` (an earlier attempt with the same key lost its
 * answer) the lookup comes first, and a task found is the one created then. Never throws for
 * upstream trouble.
 * `account`: the credentials of the account the task goes on (work/upstream-credentials.ts) and
 * the callback URL for it (`inboundUrlFor`).
 * @example await createTask(config, { provider: "cometapi", action: "videos", action2: "text2video", path: null, body, externalId, lookupFirst: false }, () => clock.now(), { credentials: { apiKey }, callbackUrl })
 */
export async function createTask(config: Config, r: CreateRequest, now: () => number, account: CreateAccount): Promise<CreateResult> {
  const { credentials } = account;
  const dialect = createDialect(r);
  const endpoint = await endpointOf(config, dialect, r, credentials);
  if (typeof endpoint === "string")
    return { kind: "unavailable", message: `the relay cannot create this task: ${endpoint}`, retryAfterMs: null, answerLost: false };
  const lookUp = async () =>
    classifyLookup(await getLookup(endpoint.lookupUrl, endpoint.authorization, config.upstreamTimeoutMs), dialect, r.externalId, now());
  if (r.lookupFirst) {
    const earlier = await lookUp();
    if (earlier.kind === "found") return { kind: "created", taskId: earlier.taskId, externalId: r.externalId, foundByLookup: true };
    if (earlier.kind === "unknown")
      return {
        kind: "unavailable",
        message: `an earlier attempt with this Idempotency-Key may have created the task, and a lookup by its external id could not tell (${earlier.error}): nothing was created or registered now; retrying with the same key is safe`,
        retryAfterMs: null,
        answerLost: true,
      };
  }
  const body = createBody(dialect, r.body, account.callbackUrl, r.externalId);
  const outcome = classifyCreate(
    await postCreate({ url: endpoint.createUrl, authorization: endpoint.authorization, body, timeoutMs: config.upstreamTimeoutMs }),
    dialect,
    now(),
  );
  switch (outcome.kind) {
    case "created":
      return { kind: "created", taskId: outcome.taskId, externalId: r.externalId, foundByLookup: false };
    case "rejected":
      return outcome;
    case "unavailable":
      if (dialect !== "cometapi" && /^kling_100[34]\b/.test(outcome.error)) invalidateKlingToken(credentials, endpoint.authorization);
      return {
        kind: "unavailable",
        message: `upstream refused the relay: ${outcome.error}`,
        retryAfterMs: outcome.retryAfterMs,
        answerLost: false,
      };
    case "unknown": {
      const lookup = await lookUp();
      if (lookup.kind === "found") return { kind: "created", taskId: lookup.taskId, externalId: r.externalId, foundByLookup: true };
      return {
        kind: "unavailable",
        message: `upstream did not say whether the task was created (${outcome.error}) and a lookup by its external id could not tell (${lookup.kind === "absent" ? "not found yet" : lookup.error}): nothing was registered; retrying with the same Idempotency-Key is safe`,
        retryAfterMs: null,
        answerLost: true,
      };
    }
  }
}
