/**
 * Branded ids: a task's relay key, a tenant's id and a lease's token are all strings in D1, and
 * a function taking one must not be handed another (a tenant id where a task key goes type-checks
 * as a plain string, and fails as a silent no-op at run time). Each has one checked constructor
 * for values from outside (a request, a queue message, a route parameter) and one maker for new
 * ones; rows read from D1 carry the brand through schema.ts's column types. The brand is a type
 * only: at run time they are the same strings.
 */
declare const brand: unique symbol;
type Branded<T, B extends string> = T & { readonly [brand]: B };

/** The relay's own key of a task (`tasks.id`, `tsk_...`): what subscriptions, leases and queue messages name. */
export type TaskKey = Branded<string, "TaskKey">;
/** A tenant's id (`tenants.id`): `default`, or `ten_...` for those the admin made. */
export type TenantId = Branded<string, "TenantId">;
/** The owner of a claim (`lease_...`), checked by every write that follows it. */
export type LeaseToken = Branded<string, "LeaseToken">;

const randomHex24 = () => crypto.randomUUID().replaceAll("-", "").slice(0, 24);

/** Ids the relay makes: a type prefix and 24 random hex digits. */
export const newId = (prefix: "ten" | "key" | "ep" | "tsk" | "sub") => `${prefix}_${randomHex24()}`;
export const newTaskKey = () => newId("tsk") as TaskKey;
export const newTenantId = () => newId("ten") as TenantId;
export const newLeaseToken = () => `lease_${crypto.randomUUID()}` as LeaseToken;

/** Thrown by a checked constructor: a value from outside that is not an id of its kind. */
export class InvalidIdError extends Error {
  constructor(kind: string, value: string) {
    super(`not a ${kind}: ${JSON.stringify(value.slice(0, 80))}`);
    this.name = "InvalidIdError";
  }
}

// The shapes are what D1 may hold, which is wider than what the makers above make: a constructor
// that refused a key D1 holds would turn a value that names a row into an error. So each is its
// prefix and URL-safe characters, bounded where a queue message bounds it (task keys share the 128
// characters of a message's ids, lease tokens its 100): keys D1 rows and tests write by hand
// (`tsk_cap-1`, `lease_q`) pass. A tenant id is wider still: tenants from before the `ten_` ids
// (`default`, and ids an operator set in D1 by hand) keep theirs, so it is only bounded in size and
// kept to printable ASCII, what a header or a path segment can carry.
const TASK_KEY = /^tsk_[\w-]{1,124}$/;
const TENANT_ID = /^[\x21-\x7e]{1,128}$/;
const LEASE_TOKEN = /^lease_[\w-]{1,94}$/;

function checked<T extends string>(kind: string, pattern: RegExp) {
  return (value: string): T => {
    if (!pattern.test(value)) throw new InvalidIdError(kind, value);
    return value as T;
  };
}

/** A task key from outside (a queue message, a form): throws InvalidIdError unless it is one. */
export const taskKey = checked<TaskKey>("task key", TASK_KEY);
/** A tenant id from outside (a key's row, `Relay-Tenant`, a path): throws InvalidIdError unless it is one. */
export const tenantId = checked<TenantId>("tenant id", TENANT_ID);
/** A lease token from outside (a queue message): throws InvalidIdError unless it is one. */
export const leaseToken = checked<LeaseToken>("lease token", LEASE_TOKEN);

/** Whether `value` is a task key: for answers that treat a malformed key as a missing one. */
export const isTaskKey = (value: string): value is TaskKey => TASK_KEY.test(value);
/** Whether `value` is a tenant id: for answers that treat a malformed id as an unknown one (404, never 500). */
export const isTenantId = (value: string): value is TenantId => TENANT_ID.test(value);
/** Whether `value` is a lease token: for a queue message's schema, which reports a malformed body rather than throwing. */
export const isLeaseToken = (value: string): value is LeaseToken => LEASE_TOKEN.test(value);
