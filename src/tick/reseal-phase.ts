import { resealEndpointKeys, type StoredEndpointKeys } from "../domain/sealed-endpoint-keys";
import { resealCredentials } from "../domain/upstream-credentials";
import type { SecretsKeyring } from "../lib/sealed-secrets";
import {
  CREDENTIALS_START,
  type CredentialsCursor,
  credentialsSealedWith,
  replaceSealedCredentials,
  type SealedCredentialsRow,
} from "../storage/reseal-credentials";
import { type EndpointSecretsRow, endpointsSealedWith, replaceEndpointSecrets } from "../storage/reseal-endpoints";
import type { TickContext } from "./tick-context";

/**
 * Rows sealed again per tick, whatever the backlog (a large one takes a tick per batch): a SELECT
 * per group (up to three during a rotation) and one UPDATE per table of at most this many rows, a
 * few AES operations each.
 */
export const RESEAL_BATCH = 100;
/**
 * After a pass over everything to seal, how long an isolate waits before it looks again. With
 * SECRETS_KEY set every writer seals, so a pass finds rows only after an upgrade, a rotation, or
 * rows written meanwhile by a Worker version from before SECRETS_KEY during a deploy: most ticks
 * cost nothing.
 */
const RESEAL_PASS_INTERVAL_MS = 3_600_000;

/**
 * Where a pass over the rows to seal again has got to, per keyring (a new SECRETS_KEY is a new
 * deployment, so new isolates, so a new pass). `group`: the endpoints with a secret in clear (or
 * secrets sealed by different keys), then, during a rotation, the endpoints sealed by the previous
 * key and the tenants' credentials sealed by it (never stored in clear: they need SECRETS_KEY).
 * `after` / `credentialsAfter`: the last row done in the current group, so a row that cannot be
 * opened is passed over, not read every tick.
 */
interface Pass {
  group: number;
  after: string;
  credentialsAfter: CredentialsCursor;
  restUntil: number;
}

const passes = new WeakMap<SecretsKeyring, Pass>();

/** What a tick seals again, written at its end with one UPDATE per table. */
interface Resealed {
  endpoints: { was: EndpointSecretsRow; sealed: StoredEndpointKeys }[];
  credentials: { was: SealedCredentialsRow; sealed: string }[];
  errors: number;
}

/** One group of rows: reads and seals again up to `limit` rows after its cursor (moved when it read `limit`); how many it read. */
type Group = (limit: number) => Promise<number>;

/**
 * Seals again, under SECRETS_KEY's current key, up to RESEAL_BATCH rows: endpoints' secrets stored
 * in clear (from before SECRETS_KEY) or sealed by the previous key, and tenants' credentials sealed
 * by the previous key (during a rotation). Nothing without SECRETS_KEY. Counts what it replaced in
 * `report.resealed` and `report.resealedCredentials`, and what it could not open (a key
 * SECRETS_KEY no longer holds) in `report.resealErrors`, with the first error.
 */
export async function resealPhase(ctx: TickContext): Promise<void> {
  const keyring = ctx.config.secretsKeyring;
  if (!keyring) return;
  const now = ctx.clock.now();
  const pass = passes.get(keyring) ?? { group: 0, after: "", credentialsAfter: CREDENTIALS_START, restUntil: 0 };
  passes.set(keyring, pass);
  if (now < pass.restUntil) return;

  const resealed: Resealed = { endpoints: [], credentials: [], errors: 0 };
  const groups = groupsOf(ctx, keyring, pass, resealed);
  let left = RESEAL_BATCH;
  while (left > 0) {
    left -= await groups[pass.group]!(left);
    if (left === 0) break;
    const start = { after: "", credentialsAfter: CREDENTIALS_START };
    if (pass.group + 1 < groups.length) Object.assign(pass, { group: pass.group + 1, ...start });
    else {
      Object.assign(pass, { group: 0, ...start, restUntil: now + RESEAL_PASS_INTERVAL_MS });
      break;
    }
  }
  ctx.report.resealed = await replaceEndpointSecrets(ctx.db, resealed.endpoints);
  if (keyring.previous) ctx.report.resealedCredentials = await replaceSealedCredentials(ctx.db, resealed.credentials);
  if (resealed.errors > 0) ctx.report.resealErrors = resealed.errors;
}

function groupsOf(ctx: TickContext, keyring: SecretsKeyring, pass: Pass, resealed: Resealed): Group[] {
  const attempt = async (seal: () => Promise<unknown>) => {
    try {
      await seal();
    } catch (error) {
      resealed.errors += 1;
      ctx.report.resealError ??= (error as Error).message;
    }
  };
  const endpoints =
    (keyId: string | null): Group =>
    async (limit) => {
      const rows = await endpointsSealedWith(ctx.db, keyId, pass.after, limit);
      for (const row of rows)
        await attempt(async () => resealed.endpoints.push({ was: row, sealed: await resealEndpointKeys(keyring, row.id, row) }));
      if (rows.length === limit) pass.after = rows.at(-1)!.id;
      return rows.length;
    };
  const credentials =
    (keyId: string): Group =>
    async (limit) => {
      const rows = await credentialsSealedWith(ctx.db, keyId, pass.credentialsAfter, limit);
      for (const row of rows)
        await attempt(async () =>
          resealed.credentials.push({ was: row, sealed: await resealCredentials(keyring, row.tenantId, row.provider, row.sealed) }),
        );
      const last = rows.at(-1);
      if (rows.length === limit && last) pass.credentialsAfter = [last.tenantId, last.provider];
      return rows.length;
    };
  const previous = keyring.previous?.id;
  return previous ? [endpoints(null), endpoints(previous), credentials(previous)] : [endpoints(null)];
}
