/** `npm run client:api`: writes `src/api.ts` from the relay's OpenAPI document (api-types.ts). */
import { writeFileSync } from "node:fs";
import path from "node:path";
import { renderApiTypes } from "./api-types";

writeFileSync(path.resolve(import.meta.dirname, "../src/api.ts"), await renderApiTypes());
