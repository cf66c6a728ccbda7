/** Statements built by drizzle once and bound per use (storage/db.ts `prebuilt`). */
import { env } from "cloudflare:workers";
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { openDb, prebuilt, runBatch, statement } from "../src/storage/db";

const db = openDb(env.DB);

describe("prebuilt", () => {
  it("binds each use's values where the stand-ins were, and keeps the constants", async () => {
    const select = prebuilt(
      [
        { name: "a", n: 1 },
        { name: "b", n: 2 },
      ],
      (d, { name, n }) => [statement(d, sql`SELECT ${name} AS name, ${n} AS n, ${"fixed"} AS fixed, ${n} * 2 AS twice`)],
    );
    for (const values of [
      { name: "x", n: 7 },
      { name: "y", n: 1 },
    ]) {
      const [result] = await runBatch(db, select(db, values));
      expect(result!.results).toEqual([{ ...values, fixed: "fixed", twice: values.n * 2 }]);
    }
  });

  it("throws for a parameter derived from the values, and for SQL that depends on them", () => {
    const derived = prebuilt([{ n: 1 }, { n: 2 }], (d, { n }) => [statement(d, sql`SELECT ${n + 1}`)]);
    expect(() => derived(db, { n: 5 })).toThrow(/derived from the values/);
    const shaped = prebuilt([{ n: 1 }, { n: 2 }], (d, { n }) => [statement(d, n === 1 ? sql`SELECT 1` : sql`SELECT 2`)]);
    expect(() => shaped(db, { n: 5 })).toThrow(/SQL depends on the values/);
    const same = prebuilt([{ n: 1 }, { n: 1 }], (d, { n }) => [statement(d, sql`SELECT ${n}`)]);
    expect(() => same(db, { n: 5 })).toThrow(/must all differ/);
  });
});
