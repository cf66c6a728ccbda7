import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { withoutBrokenMap } from "../harness/package-sourcemaps.ts";

const CODE = '"use strict";\nexports.x = 1;\n';
let dir: string | undefined;

/** A package's dist/index.js with a map beside it, as standardwebhooks ships (its ../src not shipped). */
function packageFile(map: object, { shipSource = false } = {}) {
  dir = mkdtempSync(path.join(tmpdir(), "package-sourcemaps-"));
  mkdirSync(path.join(dir, "dist"));
  const file = path.join(dir, "dist/index.js");
  writeFileSync(file, `${CODE}//# sourceMappingURL=index.js.map`);
  writeFileSync(path.join(dir, "dist/index.js.map"), JSON.stringify({ version: 3, file: "index.js", mappings: "", ...map }));
  if (shipSource) {
    mkdirSync(path.join(dir, "src"));
    writeFileSync(path.join(dir, "src/index.ts"), "export const x = 1;\n");
  }
  return file;
}

afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

describe("withoutBrokenMap", () => {
  it("drops the map comment of a file whose map points only to sources the package does not ship", () => {
    expect(withoutBrokenMap(packageFile({ sourceRoot: "", sources: ["../src/index.ts"] }))).toBe(CODE);
  });

  it("keeps a map whose sources are there, or carried inside it", () => {
    expect(withoutBrokenMap(packageFile({ sources: ["../src/index.ts"] }, { shipSource: true }))).toBeNull();
    expect(withoutBrokenMap(packageFile({ sources: ["../src/index.ts"], sourcesContent: ["export const x = 1;"] }))).toBeNull();
  });

  it("leaves files without a map, or with an unreadable one, to Vite", () => {
    dir = mkdtempSync(path.join(tmpdir(), "package-sourcemaps-"));
    const plain = path.join(dir, "plain.js");
    writeFileSync(plain, CODE);
    expect(withoutBrokenMap(plain)).toBeNull();
    const broken = path.join(dir, "broken.js");
    writeFileSync(broken, `${CODE}//# sourceMappingURL=missing.js.map`);
    expect(withoutBrokenMap(broken)).toBeNull();
  });
});
