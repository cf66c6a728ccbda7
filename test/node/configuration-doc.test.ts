import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { renderConfigurationDoc } from "../../tools/configuration-doc";

describe("docs/configuration.md", () => {
  it("is what the settings table makes (run `npm run docs:config` after changing src/config/settings.ts)", () => {
    const committed = readFileSync(path.resolve(import.meta.dirname, "../../docs/configuration.md"), "utf8");
    expect(committed).toBe(renderConfigurationDoc());
  });
});
