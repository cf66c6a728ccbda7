/**
 * tools/wrangler-dev.ts's `migrateLocalD1`: a fresh state folder gets a copy of a local D1 that
 * wrangler's `d1 migrations apply` migrated once, a folder that has one is migrated in place. The
 * `apply` here stands in for that command (the end-to-end tests run the real one): it writes a
 * D1 file into the state folder it is given and records where.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { migrateLocalD1 } from "../../tools/wrangler-dev";

let root: string;
let applied: string[];
const d1File = (stateDir: string) => path.join(stateDir, "v3/d1/DB.sqlite");

/** Stands in for `wrangler d1 migrations apply --local --persist-to <stateDir>`. */
async function apply(stateDir: string) {
  applied.push(stateDir);
  await new Promise((resolve) => setTimeout(resolve, 20));
  mkdirSync(path.dirname(d1File(stateDir)), { recursive: true });
  writeFileSync(d1File(stateDir), `migrated in ${path.basename(stateDir)}`);
}

beforeEach(() => {
  root = mkdtempSync(path.join(tmpdir(), "migrated-d1-test-"));
  applied = [];
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe("migrateLocalD1", () => {
  it("migrates once into the kept folder, and copies it into each fresh state folder", async () => {
    const kept = path.join(root, "migrated/key1");
    await migrateLocalD1(path.join(root, "a"), kept, apply);
    await migrateLocalD1(path.join(root, "b"), kept, apply);
    expect(applied).toHaveLength(1);
    expect(path.dirname(applied[0]!)).toBe(path.dirname(kept));
    expect(path.basename(applied[0]!)).toMatch(/^key1\.building-/);
    const kept1 = readFileSync(d1File(kept), "utf8");
    expect(readFileSync(d1File(path.join(root, "a")), "utf8")).toBe(kept1);
    expect(readFileSync(d1File(path.join(root, "b")), "utf8")).toBe(kept1);
    // Nothing half-built is left beside it.
    expect(readdirSync(path.dirname(kept))).toEqual(["key1"]);
  });

  it("migrates a state folder that has a D1 in place (a restart), leaving the kept one alone", async () => {
    const dir = path.join(root, "restarted");
    mkdirSync(path.dirname(d1File(dir)), { recursive: true });
    writeFileSync(d1File(dir), "rows of an earlier run");
    await migrateLocalD1(dir, path.join(root, "migrated/key1"), apply);
    expect(applied).toEqual([dir]);
    expect(existsSync(path.join(root, "migrated"))).toBe(false);
  });

  it("gives both of two starts at once a whole D1, and keeps one", async () => {
    const kept = path.join(root, "migrated/key1");
    await Promise.all([migrateLocalD1(path.join(root, "a"), kept, apply), migrateLocalD1(path.join(root, "b"), kept, apply)]);
    expect(applied).toHaveLength(2);
    for (const dir of ["a", "b"]) expect(readFileSync(d1File(path.join(root, dir)), "utf8")).toMatch(/^migrated in key1\.building-/);
    expect(readdirSync(path.dirname(kept))).toEqual(["key1"]);
  });

  it("keeps nothing when the migrations fail, and says why", async () => {
    const kept = path.join(root, "migrated/key1");
    const failing = async () => {
      throw new Error("wrangler d1 migrations apply exited 1: no such table");
    };
    await expect(migrateLocalD1(path.join(root, "a"), kept, failing)).rejects.toThrow(/no such table/);
    expect(readdirSync(path.dirname(kept))).toEqual([]);
    expect(existsSync(path.join(root, "a/v3"))).toBe(false);
    // The next start migrates again.
    await migrateLocalD1(path.join(root, "b"), kept, apply);
    expect(applied).toHaveLength(1);
  });
});
