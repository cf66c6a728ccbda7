import { sql } from "drizzle-orm";
import type { StoredEndpointKeys } from "../domain/sealed-endpoint-keys";
import { asJson, type Db } from "./db";
import { column, readAll, rowSchema } from "./rows";
import { ENDPOINT_SEALED_WITH, endpoints } from "./schema";

/** An endpoint's stored secrets, as read to be sealed again. */
export interface EndpointSecretsRow extends StoredEndpointKeys {
  id: string;
}

/**
 * Up to `limit` endpoints after id `after`, in id order, whose secrets were all sealed by key
 * `keyId`, or (null) that has a secret in clear or secrets sealed by different keys. One search of
 * the `endpoints_sealed_with` index: nothing is scanned, also when nothing is found. (`db.all`,
 * not drizzle's builder, which reads through `raw()`: the tick's D1 figures would miss its rows.)
 */
export async function endpointsSealedWith(db: Db, keyId: string | null, after: string, limit: number): Promise<EndpointSecretsRow[]> {
  const row = rowSchema({
    id: column(endpoints.id),
    secret: column(endpoints.secret),
    previous_secret: column(endpoints.previousSecret),
    signing_key: column(endpoints.signingKey),
    previous_signing_key: column(endpoints.previousSigningKey),
  });
  const rows = await readAll(
    db,
    row,
    "endpoints sealed with a key",
    sql`
    SELECT id, secret, previous_secret, signing_key, previous_signing_key FROM endpoints
    WHERE (${ENDPOINT_SEALED_WITH}) IS ${keyId} AND id > ${after} ORDER BY id LIMIT ${limit}`,
  );
  return rows.map((r) => ({
    id: r.id,
    secret: r.secret,
    previousSecret: r.previous_secret,
    signingKey: r.signing_key,
    previousSigningKey: r.previous_signing_key,
  }));
}

/**
 * Writes endpoints' secrets sealed again, each row only if it still holds exactly what was read
 * (`was`): a rotation of the endpoint's secret, or a change of its signing, made meanwhile wins
 * and is sealed by its own writer. One statement for all; returns how many rows it replaced.
 */
export async function replaceEndpointSecrets(
  db: Db,
  changes: readonly { was: EndpointSecretsRow; sealed: StoredEndpointKeys }[],
): Promise<number> {
  if (changes.length === 0) return 0;
  const rows = asJson(
    changes.map(({ was, sealed }) => ({
      id: was.id,
      was_secret: was.secret,
      was_previous_secret: was.previousSecret,
      was_signing_key: was.signingKey,
      was_previous_signing_key: was.previousSigningKey,
      secret: sealed.secret,
      previous_secret: sealed.previousSecret,
      signing_key: sealed.signingKey,
      previous_signing_key: sealed.previousSigningKey,
    })),
  );
  // Not updated_at: the endpoint is unchanged for its tenant, only the form its secrets are stored in.
  const replaced = await readAll(
    db,
    rowSchema({ id: column(endpoints.id) }),
    "endpoints sealed again",
    sql`
    UPDATE endpoints SET secret = r.value ->> 'secret', previous_secret = r.value ->> 'previous_secret',
      signing_key = r.value ->> 'signing_key', previous_signing_key = r.value ->> 'previous_signing_key'
    FROM json_each(${rows}) r
    WHERE endpoints.id = r.value ->> 'id' AND endpoints.secret = r.value ->> 'was_secret'
      AND endpoints.previous_secret IS r.value ->> 'was_previous_secret' AND endpoints.signing_key IS r.value ->> 'was_signing_key'
      AND endpoints.previous_signing_key IS r.value ->> 'was_previous_signing_key'
    RETURNING endpoints.id`,
  );
  return replaced.length;
}
