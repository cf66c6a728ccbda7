import path from "node:path";
import { describe, expect, it } from "vitest";
import { unstable_readConfig } from "wrangler";

const config = (env?: string) =>
  unstable_readConfig({ config: path.resolve(import.meta.dirname, "../../wrangler.toml"), env }, { hideWarnings: true });

describe("wrangler.toml's [env.queues]", () => {
  // Vars are not inherited by an environment: one left out there silently takes the default
  // instead of what the top level says (PUSH_SAFETY_POLL_SECONDS once was).
  it("sets every var the top level sets (the two Workers are one relay, scaled differently)", () => {
    expect(Object.keys(config("queues").vars).sort()).toEqual(expect.arrayContaining(Object.keys(config().vars).sort()));
  });

  it("binds the same D1 database", () => {
    expect(config("queues").d1_databases).toEqual(config().d1_databases);
  });

  // Durable Object bindings are not inherited either: without it the queue consumers would send
  // to rate-limited endpoints unpaced. The class's migration is inherited (one list for both).
  it("binds the endpoints' pacer, with the migration that declares its class", () => {
    expect(config("queues").durable_objects).toEqual(config().durable_objects);
    expect(config().durable_objects.bindings).toContainEqual(
      expect.objectContaining({ name: "ENDPOINT_PACER", class_name: "EndpointPacer" }),
    );
    expect(config("queues").migrations).toEqual(config().migrations);
    expect(config("queues").migrations.flatMap((m: { new_sqlite_classes?: string[] }) => m.new_sqlite_classes ?? [])).toContain(
      "EndpointPacer",
    );
  });
});
