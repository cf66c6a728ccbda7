/** `npm run docs:config`: writes docs/configuration.md from the settings table (tools/configuration-doc.ts). */
import { writeFileSync } from "node:fs";
import path from "node:path";
import { renderConfigurationDoc } from "./configuration-doc";

writeFileSync(path.resolve(import.meta.dirname, "../docs/configuration.md"), renderConfigurationDoc());
