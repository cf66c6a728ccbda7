/** Tenants made the way the admin makes them, for tests about tenants. */
import { expect } from "vitest";
import { ADMIN_KEY, api, unique } from "./relay";

export const asJson = async (res: Response) => ({ status: res.status, body: (await res.json()) as Record<string, any> });

/**
 * A tenant and a key of its own, made through the admin API (in that order), then lent the
 * operator's upstream account and trusted with any task id on it. `headers` go with each admin
 * request (e.g. the client address an audit test expects).
 */
export async function newTenant(name = unique("tenant"), headers: Record<string, string> = {}) {
  const admin = (method: string, path: string, body?: unknown) =>
    api(
      `/v1/admin${path}`,
      {
        method,
        headers: { ...headers, ...(body === undefined ? {} : { "content-type": "application/json" }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      },
      ADMIN_KEY,
    ).then(asJson);
  const tenant = await admin("POST", "/tenants", { name });
  expect(tenant.status).toBe(201);
  const key = await admin("POST", `/tenants/${tenant.body.id}/keys`);
  expect(key.status).toBe(201);
  expect((await admin("PATCH", `/tenants/${tenant.body.id}`, { shared_upstream: true, trusted: true })).status).toBe(200);
  return {
    id: tenant.body.id as string,
    name,
    key: key.body.key as string,
    keyId: key.body.id as string,
    prefix: key.body.prefix as string,
  };
}
