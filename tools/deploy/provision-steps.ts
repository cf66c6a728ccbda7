import { readFileSync } from "node:fs";
import type { DeployIo, Deployment } from "./deployment";
import { parseJsonOutput, runWrangler, StepError, wranglerStep } from "./wrangler-cli";
import { enableArchiveBinding, setDatabaseId } from "./wrangler-toml";

/** What the account must hold before a deploy: a login, the D1 database, the bucket and queues when asked, the schema. */

export async function loginStep(io: DeployIo) {
  io.log("▸ login: wrangler whoami");
  const result = await runWrangler(["whoami", "--json"], { cwd: io.cwd, env: io.env });
  if (result.code !== 0) throw new StepError("login", "not logged in to Cloudflare: run `npx wrangler login`, then `npm run deploy` again");
}

/** Creates the D1 database when the account has none of its name; writes its id wherever wrangler.toml binds it. */
export async function databaseStep(d: Deployment): Promise<string> {
  const name = d.readConfig().d1_databases[0]?.database_name;
  if (!name) throw new StepError("database", "wrangler.toml binds no D1 database");
  d.step("database", `D1 "${name}"`);
  const find = async () =>
    parseJsonOutput<{ uuid: string; name: string }[]>(
      "database",
      await wranglerStep("database", ["d1", "list", "--json"], d.wrangler()),
    ).find((db) => db.name === name);
  let found = await find();
  if (found) d.say(`exists: ${found.uuid}`);
  else {
    await wranglerStep("database", ["d1", "create", name], d.wrangler());
    found = await find();
    if (!found) throw new StepError("database", `created "${name}", but \`wrangler d1 list\` does not show it`);
    d.say(`created: ${found.uuid}`);
  }
  const id = found.uuid;
  // Bindings are not inherited by an environment: the top level and [env.queues] each name the database.
  const everyBinding = () =>
    [d.environment, d.sibling].flatMap((env) => d.readConfig(env).d1_databases.filter((db) => db.database_name === name));
  if (everyBinding().some((db) => db.database_id !== id)) {
    d.editConfig(
      "database",
      (toml) => setDatabaseId(toml, name, id),
      () => everyBinding().every((db) => db.database_id === id),
    );
    d.say(`wrangler.toml: database_id = "${id}" (every environment)`);
  }
  return name;
}

/** Creates the ARCHIVE bucket when missing and turns its binding on (wrangler.toml ships it commented out). */
export async function archiveStep(d: Deployment) {
  d.step("archive", "the R2 bucket of archived outputs");
  const commentedName = /^# bucket_name = "([^"]+)"/m.exec(readFileSync(d.configPath, "utf8"))?.[1];
  const bucket = d.readConfig().r2_buckets.find((b) => b.binding === "ARCHIVE")?.bucket_name ?? commentedName;
  if (!bucket) throw new StepError("archive", "wrangler.toml names no ARCHIVE bucket");
  // `r2 bucket list` has no JSON output: it prints `name: <bucket>` lines.
  const listed = await wranglerStep("archive", ["r2", "bucket", "list"], d.wrangler());
  if (new RegExp(`^name:\\s+${bucket}\\s*$`, "m").test(listed.stdout)) d.say(`exists: ${bucket}`);
  else {
    await wranglerStep("archive", ["r2", "bucket", "create", bucket], d.wrangler());
    d.say(`created: ${bucket}`);
  }
  const bound = () => d.readConfig().r2_buckets.some((b) => b.binding === "ARCHIVE" && b.bucket_name === bucket);
  if (!bound()) {
    d.editConfig("archive", (toml) => enableArchiveBinding(toml, d.environment), bound);
    d.say("wrangler.toml: the ARCHIVE binding is on");
  }
}

/** Creates the queues [env.queues] produces to, consumes and dead-letters to, those missing. */
export async function queuesStep(d: Deployment) {
  const { producers = [], consumers = [] } = d.readConfig().queues;
  const names = [
    ...new Set(
      [...producers.map((p) => p.queue), ...consumers.flatMap((c) => [c.queue, c.dead_letter_queue ?? ""])].filter((n): n is string =>
        Boolean(n),
      ),
    ),
  ];
  d.step("queues", names.join(", "));
  // `queues list` has no JSON output: a table, one queue a row.
  const listed = (await wranglerStep("queues", ["queues", "list"], d.wrangler())).stdout;
  for (const name of names) {
    if (new RegExp(`(^|[\\s│|])${name}([\\s│|]|$)`, "m").test(listed)) d.say(`exists: ${name}`);
    else {
      await wranglerStep("queues", ["queues", "create", name], d.wrangler());
      d.say(`created: ${name}`);
    }
  }
}

/** Applies the migrations D1 has not seen (none on a second run). */
export async function migrationsStep(d: Deployment, database: string) {
  d.step("migrations", `wrangler d1 migrations apply ${database} --remote`);
  const result = await wranglerStep("migrations", ["d1", "migrations", "apply", database, "--remote", d.envFlag()], d.wrangler());
  d.say(/No migrations to apply/i.test(result.stdout) ? "none to apply" : "applied");
}
