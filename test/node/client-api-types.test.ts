import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { renderApiTypes } from "../../packages/client/scripts/api-types";

describe("packages/client/src/api.ts", () => {
  it("is what the app's OpenAPI document makes (run `npm run client:api` after changing a route or a schema)", async () => {
    const committed = readFileSync(path.resolve(import.meta.dirname, "../../packages/client/src/api.ts"), "utf8");
    expect(committed).toBe(await renderApiTypes());
  });
});
