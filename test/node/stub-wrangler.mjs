// A stand-in for `wrangler` in test/node/deploy.test.ts: no network, no account. It appends each
// call to $STUB_DIR/calls.jsonl (its arguments, and its stdin when a command reads one) and
// answers as wrangler 4 does, keeping what a real account would hold (databases, deployed
// Workers, their secrets, buckets, queues) in $STUB_DIR/state.json, so a second run sees what
// the first one left. A deploy reports $STUB_URL as the Worker's URL, in the output file wrangler
// writes to $WRANGLER_OUTPUT_FILE_PATH. STUB_LOGGED_OUT=1: not logged in; STUB_FAIL=<command>:
// that command fails.
import { appendFileSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";

const dir = process.env.STUB_DIR;
const statePath = path.join(dir, "state.json");
const state = existsSync(statePath)
  ? JSON.parse(readFileSync(statePath, "utf8"))
  : { databases: [], workers: {}, buckets: [], queues: [], migrated: [] };
const save = () => writeFileSync(statePath, JSON.stringify(state, null, 2));

const args = process.argv.slice(2);
const command = args
  .filter((a) => !a.startsWith("-"))
  .slice(0, 2)
  .join(" ");
const envName = args.find((a) => a.startsWith("--env="))?.slice("--env=".length);
const workerName = envName ? `kling-webhook-relay-${envName}` : "kling-webhook-relay";
const readStdin = () => readFileSync(0, "utf8");

const out = (text) => process.stdout.write(`${text}\n`);
const fail = (text) => {
  process.stderr.write(`✘ [ERROR] ${text}\n`);
  process.exit(1);
};

const record = { args };
if (command === "secret bulk") record.stdin = readStdin();
appendFileSync(path.join(dir, "calls.jsonl"), `${JSON.stringify(record)}\n`);
if (process.env.STUB_FAIL && command.startsWith(process.env.STUB_FAIL)) fail(`${command}: A request to the Cloudflare API failed.`);

switch (command) {
  case "whoami":
    if (process.env.STUB_LOGGED_OUT) fail("You are not authenticated. Please run `wrangler login`.");
    out(JSON.stringify({ loggedIn: true, authType: "OAuth Token", email: "dev@example.com", accounts: [{ id: "acc", name: "Dev" }] }));
    break;
  case "d1 list":
    out(JSON.stringify(state.databases));
    break;
  case "d1 create": {
    const name = args[2];
    const uuid = `5e1f0c2a-0000-4000-8000-${String(state.databases.length + 1).padStart(12, "0")}`;
    state.databases.push({ uuid, name, created_at: "2026-10-20T00:00:00Z", version: "production", num_tables: 0 });
    out(
      `✅ Successfully created DB '${name}' in region WEUR\n\n[[d1_databases]]\nbinding = "DB"\ndatabase_name = "${name}"\ndatabase_id = "${uuid}"`,
    );
    break;
  }
  case "d1 migrations": {
    const name = args[3];
    if (!state.databases.some((db) => db.name === name)) fail(`Couldn't find a D1 DB with the name or binding '${name}'`);
    if (state.migrated.includes(name)) out("✅ No migrations to apply!");
    else {
      state.migrated.push(name);
      out("Migrations to be applied:\n│ 0000_init.sql │\n🚣 Executed 14 migrations");
    }
    break;
  }
  case "deploy": {
    state.workers[workerName] ??= { secrets: {} };
    state.workers[workerName].deploys = (state.workers[workerName].deploys ?? 0) + 1;
    const targets = [process.env.STUB_URL, "schedule: * * * * *"];
    appendFileSync(
      process.env.WRANGLER_OUTPUT_FILE_PATH,
      `${JSON.stringify({ type: "deploy", version: 1, worker_name: workerName, targets })}\n`,
    );
    out(`Uploaded ${workerName} (1.00 sec)\nDeployed ${workerName} triggers (0.50 sec)\n  ${targets.join("\n  ")}`);
    break;
  }
  case "secret list": {
    const worker = state.workers[workerName];
    if (!worker) fail(`Worker "${workerName}" not found.\n\nIf this is a new Worker, run \`wrangler deploy\` first to create it.`);
    out(JSON.stringify(Object.keys(worker.secrets).map((name) => ({ name, type: "secret_text" }))));
    break;
  }
  case "secret bulk": {
    // Like wrangler, a Worker that does not exist yet is created (a draft) to hold them.
    state.workers[workerName] ??= { secrets: {} };
    const worker = state.workers[workerName];
    const secrets = JSON.parse(record.stdin);
    Object.assign(worker.secrets, secrets);
    out(`🌀 Processing the secrets for the Worker "${workerName}"\n✨ ${Object.keys(secrets).length} secrets successfully created`);
    break;
  }
  case "r2 bucket":
    if (args[2] === "list")
      out(state.buckets.map((name) => `name:           ${name}\ncreation_date:  2026-10-20T00:00:00.000Z`).join("\n\n"));
    else if (args[2] === "create") {
      state.buckets.push(args[3]);
      out(`✅ Created bucket '${args[3]}' with default storage class of Standard.`);
    }
    break;
  case "queues list":
    out(`┌─┬─┐\n${state.queues.map((name) => `│ 0000 │ ${name} │ 2026-10-20 │`).join("\n")}\n└─┴─┘`);
    break;
  case "queues create":
    state.queues.push(args[2]);
    out(`✅ Created queue ${args[2]}.`);
    break;
  default:
    fail(`the stub knows no \`wrangler ${args.join(" ")}\``);
}
save();
