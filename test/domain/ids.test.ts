import { describe, expect, it } from "vitest";
import {
  InvalidIdError,
  isLeaseToken,
  isTaskKey,
  isTenantId,
  leaseToken,
  newLeaseToken,
  newTaskKey,
  newTenantId,
  taskKey,
  tenantId,
} from "../../src/domain/ids";
import { DEFAULT_TENANT } from "../../src/domain/tenancy";

describe("the makers", () => {
  it("make ids of their kind, each new, that the checked constructors accept as they are", () => {
    const keys = [newTaskKey(), newTaskKey()];
    expect(keys[0]).toMatch(/^tsk_[0-9a-f]{24}$/);
    expect(keys[0]).not.toBe(keys[1]);
    for (const key of keys) expect(taskKey(key)).toBe(key);
    const tenant = newTenantId();
    expect(tenant).toMatch(/^ten_[0-9a-f]{24}$/);
    expect(tenantId(tenant)).toBe(tenant);
    const lease = newLeaseToken();
    expect(lease).toMatch(/^lease_[0-9a-f-]{36}$/);
    expect(leaseToken(lease)).toBe(lease);
  });
});

describe("the checked constructors", () => {
  it("accept what D1 may hold besides what the makers make: older tenants' ids, keys and tokens written by hand", () => {
    for (const id of ["default", DEFAULT_TENANT, "tn-7", "acme.example", "x".repeat(128)]) expect(tenantId(id)).toBe(id);
    for (const key of ["tsk_1", "tsk_cap-12", "tsk_big_3", `tsk_${"a".repeat(124)}`]) expect(taskKey(key)).toBe(key);
    for (const token of ["lease_q", "lease_5c0e-1", `lease_${"b".repeat(94)}`]) expect(leaseToken(token)).toBe(token);
  });

  it("refuse what is not an id of their kind, naming the kind", () => {
    for (const id of ["", "has a space", "tab\there", "é", "x".repeat(129)]) {
      expect(() => tenantId(id)).toThrow(InvalidIdError);
      expect(isTenantId(id)).toBe(false);
    }
    for (const key of ["", "tsk_", "ten_0123", "878106242831892487", "tsk_a/b", `tsk_${"a".repeat(125)}`]) {
      expect(() => taskKey(key)).toThrow(InvalidIdError);
      expect(isTaskKey(key)).toBe(false);
    }
    for (const token of ["", "lease_", "x", "tsk_1", "lease_a b", `lease_${"b".repeat(95)}`]) {
      expect(() => leaseToken(token)).toThrow(InvalidIdError);
      expect(isLeaseToken(token)).toBe(false);
    }
    expect(() => taskKey("ten_1")).toThrow(/^not a task key: "ten_1"$/);
  });

  it("quote at most 80 characters of a refused value", () => {
    expect(() => tenantId("y".repeat(500))).toThrow(`not a tenant id: "${"y".repeat(80)}"`);
  });
});
