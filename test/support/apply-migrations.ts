import { applyD1Migrations } from "cloudflare:test";
import { env } from "cloudflare:workers";

// Runs before every test file: migrations are recorded, so applying twice is a no-op.
await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);
