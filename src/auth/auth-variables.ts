import type { TenantId } from "../domain/ids";
import type { Caller } from "./caller";

/** What `authenticate` leaves for later handlers: who is calling, and its key's id (never the key itself). */
export type CallerVariables = { caller: Caller; apiKeyId: string };
/** What `scopeTenant` adds on the tenant routes: the one tenant whose rows the request may see or change. */
export type TenantVariables = { tenantId: TenantId };
/** A tenant route's: the caller, and the tenant it acts for. */
export type AuthVariables = CallerVariables & TenantVariables;
