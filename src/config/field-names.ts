/**
 * How a setting's environment name becomes its field of `Config`: one name across the layers,
 * turned by rule, never chosen twice. The type and the function say the same rule; the rule:
 *
 * - `plain`: camelCase (`KLING_BATCH_SIZE` → `klingBatchSize`, `COMETAPI_KEY` → `cometapiKey`);
 * - `ms`: a duration read in seconds, hours or days and kept in milliseconds: the unit word gives
 *   way to `Ms` (`POLL_MIN_INTERVAL_SECONDS` → `pollMinIntervalMs`; `DELIVERY_RETRY_SCHEDULE`,
 *   which has none, → `deliveryRetryScheduleMs`);
 * - `list`: several values in one var (a rotation's two secrets): the plural
 *   (`INBOUND_TOKEN` → `inboundTokens`; `WEBHOOK_SECRETS` stays `webhookSecrets`);
 * - `none`: read only through a value derived from it (the secrets keyring, Kling's credentials),
 *   so `Config` has no field of that name.
 */
export type FieldNaming = "plain" | "ms" | "list" | "none";

type CamelTail<S extends string> = S extends `${infer Head}_${infer Rest}`
  ? `${Capitalize<Lowercase<Head>>}${CamelTail<Rest>}`
  : Capitalize<Lowercase<S>>;
type Camel<S extends string> = S extends `${infer Head}_${infer Rest}` ? `${Lowercase<Head>}${CamelTail<Rest>}` : Lowercase<S>;
type WithoutUnit<S extends string> = S extends `${infer Base}_${"SECONDS" | "HOURS" | "DAYS"}` ? Base : S;
type Plural<S extends string> = S extends `${string}s` ? S : `${S}s`;

export type FieldName<Name extends string, Naming extends FieldNaming> = Naming extends "ms"
  ? `${Camel<WithoutUnit<Name>>}Ms`
  : Naming extends "list"
    ? Plural<Camel<Name>>
    : Naming extends "plain"
      ? Camel<Name>
      : never;

const camel = (name: string) =>
  name
    .toLowerCase()
    .split("_")
    .map((word, i) => (i === 0 ? word : word.charAt(0).toUpperCase() + word.slice(1)))
    .join("");

/** The field of `Config` that holds the setting `name` (null: `none`, no field). */
export function fieldName(name: string, naming: FieldNaming): string | null {
  switch (naming) {
    case "ms":
      return `${camel(name.replace(/_(SECONDS|HOURS|DAYS)$/, ""))}Ms`;
    case "list":
      return camel(name).endsWith("s") ? camel(name) : `${camel(name)}s`;
    case "plain":
      return camel(name);
    case "none":
      return null;
  }
}
