import { Hono } from "hono";
import type { FC } from "hono/jsx";
import { asset, pageHeaders, renderPage } from "../../lib/html-page";
import type { JsonSchema } from "./json-schema";
import { type Operation, OperationView, operationId } from "./operation-view";
import { Prose, SchemaView, TypeRef } from "./schema-view";
import { TRY_IT_JS } from "./try-it-script";

export interface OpenApiDocument {
  info: { title: string; version: string; description?: string };
  tags?: { name: string; description?: string }[];
  paths: Record<string, Record<string, Omit<Operation, "method" | "path"> & { tags?: string[] }>>;
  webhooks?: Record<string, Record<string, Omit<Operation, "method" | "path">>>;
  components?: { schemas?: Record<string, JsonSchema> };
}

const METHODS = ["get", "post", "put", "patch", "delete"];

function operationsOf(doc: OpenApiDocument) {
  return Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([method]) => METHODS.includes(method))
      .map(([method, op]) => ({ ...op, method, path })),
  );
}

/** The interactive reference, rendered from the OpenAPI document itself so the two cannot drift. */
export const DocsPage: FC<{ doc: OpenApiDocument }> = ({ doc }) => {
  const components = doc.components?.schemas ?? {};
  const operations = operationsOf(doc);
  const tags = (doc.tags ?? []).filter((t) => operations.some((op) => op.tags?.includes(t.name)));
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{doc.info.title} API reference</title>
        <link rel="icon" href="/assets/favicon.svg" type="image/svg+xml" />
        <link rel="stylesheet" href="/assets/relay.css" />
        <script src="/docs/try-it.js" defer></script>
      </head>
      <body class="docs">
        <header class="top">
          <strong>{doc.info.title}</strong> <span class="muted">API {doc.info.version}</span>
          <nav>
            <a href="/openapi.json">openapi.json</a> <a href="/">dashboard</a>
          </nav>
        </header>
        <main>
          <section class="intro">
            {(doc.info.description ?? "").split("\n\n").map((p) => (
              <p>
                <Prose text={p} />
              </p>
            ))}
            <label class="key">
              API key for “Try it” <input id="api-key" type="password" autocomplete="off" placeholder="one of RELAY_API_KEYS" />
              <span class="muted">
                kept in this page only; sent as <code>Authorization: Bearer</code>
              </span>
            </label>
          </section>
          <nav class="toc">
            {operations.map((op) => (
              <a href={`#${operationId(op)}`}>
                <code>
                  {op.method.toUpperCase()} {op.path}
                </code>
              </a>
            ))}
          </nav>
          {tags.map((tag) => (
            <section>
              <h2>{tag.name}</h2>
              {tag.description ? (
                <p class="muted">
                  <Prose text={tag.description} />
                </p>
              ) : null}
              {operations
                .filter((op) => op.tags?.includes(tag.name))
                .map((op) => (
                  <OperationView op={op} components={components} />
                ))}
            </section>
          ))}
          {doc.webhooks ? (
            <section>
              <h2>webhooks</h2>
              {Object.entries(doc.webhooks).flatMap(([name, item]) =>
                Object.entries(item).map(([method, op]) => (
                  <article class="operation" id={`webhook-${name}`}>
                    <h3>
                      <span class={`method method-${method}`}>{method.toUpperCase()}</span> <code>your callback_url</code>{" "}
                      <span class="muted">({name})</span>
                    </h3>
                    {op.summary ? <p class="summary">{op.summary}</p> : null}
                    {op.description ? (
                      <p>
                        <Prose text={op.description} />
                      </p>
                    ) : null}
                    {op.requestBody?.content?.["application/json"]?.schema ? (
                      <p>
                        Body: <TypeRef schema={op.requestBody.content["application/json"].schema} />
                      </p>
                    ) : null}
                  </article>
                )),
              )}
            </section>
          ) : null}
          <section>
            <h2>schemas</h2>
            {Object.entries(components).map(([name, schema]) => (
              <article class="schema-def" id={`schema-${name}`}>
                <h3>
                  <code>{name}</code>
                </h3>
                {schema.description ? (
                  <p>
                    <Prose text={schema.description} />
                  </p>
                ) : null}
                <SchemaView schema={schema} />
              </article>
            ))}
          </section>
        </main>
      </body>
    </html>
  );
};

/** `/docs`: the interactive API reference, served by the Worker itself (no CDN, no bundle). */
export function docsRoutes(document: () => object) {
  return new Hono()
    .get("/docs", pageHeaders(), (c) => renderPage(c, <DocsPage doc={document() as OpenApiDocument} />))
    .get("/docs/try-it.js", pageHeaders(), asset(TRY_IT_JS, "text/javascript"));
}
