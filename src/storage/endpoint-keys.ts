import { sql } from "drizzle-orm";
import type { EndpointKeys } from "../domain/endpoint-signing";
import { column, type RowOf, rowSchema } from "./rows";
import { endpoints } from "./schema";

/**
 * An endpoint's signing keys as a row holds them (sealed under SECRETS_KEY, or in clear; opened
 * only to sign): the fields to add to a row schema, the columns to select, and the keys they make.
 * Whoever signs (a webhook's claim, an operational event's) reads them the same way.
 */
export const ENDPOINT_KEY_FIELDS = {
  secret: column(endpoints.secret),
  previous_secret: column(endpoints.previousSecret),
  signing_key: column(endpoints.signingKey),
  previous_signing_key: column(endpoints.previousSigningKey),
  previous_until: column(endpoints.previousUntil),
};

/** The columns of ENDPOINT_KEY_FIELDS, of the `endpoints` row named `alias`. */
export const endpointKeyColumns = (alias: string) =>
  sql.raw(
    Object.keys(ENDPOINT_KEY_FIELDS)
      .map((name) => `${alias}.${name}`)
      .join(", "),
  );

const KeysRow = rowSchema(ENDPOINT_KEY_FIELDS);

export const endpointKeysOf = (r: RowOf<typeof KeysRow>): EndpointKeys => ({
  secret: r.secret,
  previousSecret: r.previous_secret,
  signingKey: r.signing_key,
  previousSigningKey: r.previous_signing_key,
  previousUntil: r.previous_until,
});
