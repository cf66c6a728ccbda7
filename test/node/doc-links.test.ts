import { existsSync, statSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { anchors, docFiles, links, ROOT, readDoc } from "../../tools/markdown-docs";

/**
 * Every relative link of the README and docs/*.md leads somewhere: the file exists, and a
 * `#anchor` names a heading of the page it points to (GitHub's anchors). A page moved or a heading
 * renamed fails here rather than in a reader's browser. Links to other sites are not fetched.
 */

/**
 * Pages linked before they land: written on another branch of the same issue. The test fails once
 * such a page exists, so the entry is removed when it is merged.
 */
const PENDING = new Set<string>([]);

const all = docFiles().flatMap((file) => links(file).map((link) => ({ ...link, where: `${link.file}:${link.line}` })));
const relative = all.filter(({ target }) => !/^[a-z][a-z0-9+.-]*:/i.test(target));

describe("links between the README and docs/", () => {
  it("finds the links it checks", () => {
    expect(relative.length).toBeGreaterThan(30);
  });

  it.each(relative)("$where: $target", ({ file, target }) => {
    const [pathPart, anchor] = target.split("#") as [string, string | undefined];
    const resolved = pathPart === "" ? file : path.posix.normalize(path.posix.join(path.posix.dirname(file), decodeURI(pathPart)));
    expect(resolved.startsWith("../"), `${target} leaves the repository`).toBe(false);
    expect(resolved, "the README and docs never send a reader to ../shared").not.toMatch(/(^|\/)shared\//);
    if (PENDING.has(resolved)) {
      expect(existsSync(path.join(ROOT, resolved)), `${resolved} has landed: remove it from PENDING`).toBe(false);
      return;
    }
    expect(existsSync(path.join(ROOT, resolved)), `${resolved} does not exist`).toBe(true);
    if (anchor === undefined) return;
    expect(resolved.endsWith(".md") && statSync(path.join(ROOT, resolved)).isFile(), `#${anchor} on a page that is not Markdown`).toBe(
      true,
    );
    expect([...anchors(readDoc(resolved))], `no heading of ${resolved} has the anchor #${anchor}`).toContain(anchor);
  });
});

describe("anchors", () => {
  it("are GitHub's: lower case, punctuation and code marks dropped, each space a hyphen, repeats numbered", () => {
    const page = "# API\n## `POST /v1/tasks` — register a callback\n## Admin API: `/v1/admin/...`\n```sh\n# not a heading\n```\n## API\n";
    expect([...anchors(page)]).toEqual(["api", "post-v1tasks--register-a-callback", "admin-api-v1admin", "api-1"]);
  });
});
