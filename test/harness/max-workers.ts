import { availableParallelism } from "node:os";

/**
 * How many test files the Workers pools run side by side: every project of `npm run test:workers`
 * says it itself (vitest.config.ts, vitest.unit.config.ts, vitest.migration.config.ts,
 * vitest.node.config.ts, and the root for the client package's project), since vitest 5 does not
 * pass the root config's `maxWorkers` on to projects declared by file: each took vitest's default
 * (one worker fewer than the cores), a single worker on 2 cores, and every file of the run went
 * one after the other. Projects run together only when they say the same number (vitest refuses
 * different ones in one group); a project with `fileParallelism: false` would run on its own
 * after them (the queues did, 19 s with a core idle, until 2026-12-07).
 *
 * Every file has a workerd, a D1 and a loopback network of its own (workers-pool.ts), so files may
 * run side by side, and a file spends much of its time waiting between vitest and its workerd:
 * on 2 cores one worker leaves about half of them idle. At least 2, then. (3 on 2 cores was no
 * faster: 301 s for test:workers with the checks beside it, against 292 with 2.) The end-to-end
 * tests (vitest.e2e.config.ts) take the same number of files at a time, each a wrangler dev.
 */
export const MAX_WORKERS = Math.max(2, availableParallelism() - 1);
