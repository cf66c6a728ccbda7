/**
 * The built-in tenant: it owns the keys of `RELAY_API_KEYS` and every row from before tenants
 * existed, and its endpoints are also signed with `WEBHOOK_SECRETS`.
 */
export const DEFAULT_TENANT = "default";

/** Ids the relay makes: a type prefix and 24 random hex digits. */
export const newId = (prefix: "ten" | "key" | "ep" | "tsk" | "sub") => `${prefix}_${crypto.randomUUID().replaceAll("-", "").slice(0, 24)}`;
