/**
 * Loads a package's file without its source map when the map points only to sources the package
 * does not ship. standardwebhooks does that (dist/index.js.map lists ../src/index.ts, which is not
 * in the package), and Vite, which reads the maps of what the Workers pool transforms, then prints
 * `Sourcemap for ".../standardwebhooks/dist/index.js" points to missing source files` in the
 * middle of the test output: a line that reads as a failure, about a file nobody can fix here.
 * Without its map the file maps to itself (dist/index.js, which is there), which is all such a map
 * could give. A map whose sources are there, or carried inside it (sourcesContent), is kept.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import type { Plugin } from "vitest/config";

/** The last `//# sourceMappingURL=` comment of a file, naming a .map file beside it. */
const MAP_COMMENT = /\n\/\/# sourceMappingURL=([^\s]+\.map)\s*$/;

interface SourceMap {
  sourceRoot?: string;
  sources?: (string | null)[];
  sourcesContent?: (string | null)[];
}

/** True when no source the map lists can be found: neither inside it nor on disk. */
export function mapsOnlyMissingSources(map: SourceMap, mapFile: string): boolean {
  const sources = map.sources ?? [];
  if (sources.length === 0) return false;
  const base = path.resolve(path.dirname(mapFile), map.sourceRoot ?? "");
  return sources.every(
    (source, index) => map.sourcesContent?.[index] == null && (source == null || !existsSync(path.resolve(base, source))),
  );
}

/** The file's code without its map comment when that map points only to missing sources, else null. */
export function withoutBrokenMap(file: string): string | null {
  const code = readFileSync(file, "utf8");
  const comment = MAP_COMMENT.exec(code);
  if (!comment || /^[a-z]+:/i.test(comment[1]!)) return null;
  const mapFile = path.resolve(path.dirname(file), comment[1]!);
  let map: SourceMap;
  try {
    map = JSON.parse(readFileSync(mapFile, "utf8")) as SourceMap;
  } catch {
    return null;
  }
  return mapsOnlyMissingSources(map, mapFile) ? code.slice(0, comment.index + 1) : null;
}

export function packageSourcemaps(): Plugin {
  return {
    name: "kling-relay:package-sourcemaps",
    load: {
      filter: { id: /[\\/]node_modules[\\/].*\.[cm]?js$/ },
      handler(id) {
        const file = id.split("?")[0]!;
        return existsSync(file) ? withoutBrokenMap(file) : null;
      },
    },
  };
}
