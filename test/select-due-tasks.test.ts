import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { dueCursor, selectDueTasks } from "../src/storage/claim-tasks";
import { openDb } from "../src/storage/db";
import { emptyUsage, meteredD1 } from "../src/storage/metered-d1";
import { resetDb } from "./support/relay";

const NOW = 1_000_000;
const pollable = { providers: ["cometapi"], newApi: false };

/** `count` due tasks of `tenant`, `${prefix}0..`, due at `due(i)`. */
async function seed(tenant: string, prefix: string, count: number, due: (i: number) => number): Promise<void> {
  await env.DB.batch(
    Array.from({ length: count }, (_, i) =>
      env.DB.prepare(
        `INSERT INTO tasks (id, tenant_id, provider, task_id, action, action2, task_status, next_poll_at, created_at, updated_at)
         VALUES (?, ?, 'cometapi', ?, 'videos', 'text2video', 'processing', ?, 0, 0)`,
      ).bind(`${prefix}${i}`, tenant, `${prefix}${i}`, due(i)),
    ),
  );
}

describe("selecting due tasks without a lease", () => {
  beforeEach(resetDb);

  it("goes on where the last selection ended, through tasks due at the same moment, reading each once", async () => {
    // Registered together (one due time), then some due later.
    await seed("default", "tie-", 25, () => NOW - 100);
    await seed("default", "later-", 15, (i) => NOW - 50 + i);
    const usage = emptyUsage();
    const db = openDb(meteredD1(env.DB, usage));
    const from = dueCursor();
    const seen: string[] = [];
    for (let i = 0; i < 4; i++)
      seen.push(...(await selectDueTasks(db, { now: NOW, limit: 10, pollable, only: "single", from })).map((t) => t.key));
    expect(seen).toHaveLength(40);
    expect(new Set(seen).size).toBe(40);
    expect(await selectDueTasks(db, { now: NOW, limit: 10, pollable, only: "single", from })).toEqual([]);
    // Nothing written; the ties re-read while the walk is among them (10 + 20 + 25 + 15 + the end), the rest once.
    expect(usage.rowsWritten).toBe(0);
    expect(usage.rowsRead).toBeLessThan(100);
  });

  it("parks a halted tenant's due tasks and still fills its limit, taking no task twice", async () => {
    await env.DB.prepare(
      "INSERT INTO tenants (id, name, created_at, updated_at, suspended_at) VALUES ('ten_halted', 'halted', 7, 0, 1)",
    ).run();
    await seed("ten_halted", "halted-", 6, (i) => NOW - 200 + i);
    await seed("default", "live-", 12, (i) => NOW - 100 + i);
    const db = openDb(env.DB);
    const from = dueCursor();
    const first = await selectDueTasks(db, { now: NOW, limit: 8, pollable, only: "single", from });
    const second = await selectDueTasks(db, { now: NOW, limit: 8, pollable, only: "single", from });
    const keys = [...first, ...second].map((t) => t.key);
    expect(first).toHaveLength(8);
    expect(keys).toHaveLength(12);
    expect(new Set(keys).size).toBe(12);
    expect(keys.every((k) => k.startsWith("live-"))).toBe(true);
    const parked = await env.DB.prepare("SELECT count(*) AS n FROM tasks WHERE tenant_id = 'ten_halted' AND next_poll_at > ?")
      .bind(NOW)
      .first<{ n: number }>();
    expect(parked?.n).toBe(6);
  });
});
