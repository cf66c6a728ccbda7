/**
 * The client's `src/api.ts`: the relay's OpenAPI document (what the app itself serves at
 * `/openapi.json`, loaded in Node: the document needs no bindings) turned into TypeScript types by
 * openapi-typescript. `write-api-types.ts` writes it; `test/node/client-api-types.test.ts` fails when
 * the committed file is not what the app's current document makes.
 */
import openapiTS, { astToString } from "openapi-typescript";
import { app } from "../../../src/app";

const HEADER = `/**
 * The relay's API as types, generated from its OpenAPI document by openapi-typescript: do not edit.
 * After changing a route or a schema: \`npm run client:api\` at the repository's root.
 */

`;

/**
 * `defaultNonNullable: false`: a field with a default (a registration's `provider`) stays
 * optional, as the relay accepts it; openapi-typescript would otherwise make it required.
 */
export async function renderApiTypes(): Promise<string> {
  const response = await app.request("/openapi.json");
  if (!response.ok) throw new Error(`/openapi.json answered ${response.status}`);
  const document = (await response.json()) as Parameters<typeof openapiTS>[0];
  return HEADER + astToString(await openapiTS(document, { defaultNonNullable: false }));
}
