import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";

describe("infrastructure", () => {
  it("reaches the loopback fake and has migrated D1", async () => {
    const res = await fetch(`${env.FAKE_URL}/_sim/groups/none`);
    expect(await res.json()).toEqual({ maxInFlight: 0 });
    const row = await env.DB.prepare("SELECT count(*) AS n FROM tasks").first<{ n: number }>();
    expect(row?.n).toBe(0);
    await env.DB.prepare(
      "INSERT INTO tasks (id, tenant_id, task_id, action, action2, created_at, updated_at) VALUES ('tsk_smoke', 'default', 'smoke', 'images', 'generations', 0, 0)",
    ).run();
  });
  it("serves healthz", async () => {
    const res = await exports.default.fetch("http://relay/healthz");
    expect(await res.json()).toEqual({ ok: true, secrets_sealed: true });
  });
});
