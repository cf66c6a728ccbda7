import { resealEndpointKeys, type StoredEndpointKeys } from "../domain/sealed-endpoint-keys";
import type { SecretsKeyring } from "../lib/sealed-secrets";
import { type EndpointSecretsRow, endpointsSealedWith, replaceEndpointSecrets } from "../storage/reseal-endpoints";
import type { TickContext } from "./tick-context";

/**
 * Endpoints sealed again per tick, whatever the backlog (a large one takes a tick per batch): an
 * indexed SELECT per group (two during a rotation) and one UPDATE of at most this many rows, a few
 * AES operations each.
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
 * deployment, so new isolates, so a new pass). `groups`: the rows with a secret in clear (or
 * secrets sealed by different keys), then those sealed by the previous key; `after`: the last id
 * done in the current group, so a row that cannot be opened is passed over, not read every tick.
 */
interface Pass {
  group: number;
  after: string;
  restUntil: number;
}

const passes = new WeakMap<SecretsKeyring, Pass>();

/**
 * Seals again, under SECRETS_KEY's current key, up to RESEAL_BATCH endpoints' secrets stored in
 * clear (from before SECRETS_KEY) or sealed by the previous key (during a rotation). Nothing
 * without SECRETS_KEY. Counts what it replaced in `report.resealed`, and what it could not open
 * (a key SECRETS_KEY no longer holds) in `report.resealErrors`, with the first error.
 */
export async function resealPhase(ctx: TickContext): Promise<void> {
  const keyring = ctx.config.secretsKeyring;
  if (!keyring) return;
  const now = ctx.clock.now();
  const pass = passes.get(keyring) ?? { group: 0, after: "", restUntil: 0 };
  passes.set(keyring, pass);
  if (now < pass.restUntil) return;
  const groups = [null, ...(keyring.previous ? [keyring.previous.id] : [])];

  const changes: { was: EndpointSecretsRow; sealed: StoredEndpointKeys }[] = [];
  let errors = 0;
  let left = RESEAL_BATCH;
  while (left > 0) {
    const rows = await endpointsSealedWith(ctx.db, groups[pass.group] ?? null, pass.after, left);
    for (const row of rows) {
      try {
        changes.push({ was: row, sealed: await resealEndpointKeys(keyring, row.id, row) });
      } catch (error) {
        errors += 1;
        ctx.report.resealError ??= (error as Error).message;
      }
    }
    left -= rows.length;
    if (left === 0) pass.after = rows.at(-1)!.id;
    else if (pass.group + 1 < groups.length) Object.assign(pass, { group: pass.group + 1, after: "" });
    else {
      Object.assign(pass, { group: 0, after: "", restUntil: now + RESEAL_PASS_INTERVAL_MS });
      break;
    }
  }
  ctx.report.resealed = await replaceEndpointSecrets(ctx.db, changes);
  if (errors > 0) ctx.report.resealErrors = errors;
}
