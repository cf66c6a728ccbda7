import type { FC } from "hono/jsx";
import { exampleOf, type JsonSchema } from "./json-schema";
import { Prose, SchemaView, TypeRef } from "./schema-view";

export interface Operation {
  method: string;
  path: string;
  summary?: string;
  description?: string;
  security?: unknown[];
  parameters?: { name: string; in: string; required?: boolean; description?: string; schema?: JsonSchema }[];
  requestBody?: { content?: Record<string, { schema?: JsonSchema }> };
  responses?: Record<string, { description?: string; content?: Record<string, { schema?: JsonSchema }> }>;
}

export const operationId = (op: Pick<Operation, "method" | "path">) =>
  `op-${op.method}-${op.path.replace(/[^A-Za-z0-9]+/g, "-").replace(/-+$/, "")}`;

const jsonSchemaOf = (content: Record<string, { schema?: JsonSchema }> | undefined) => content?.["application/json"]?.schema;

/**
 * One operation: what it takes and answers, and a form that calls it from this page with the key
 * typed above (sent as a header by try-it.js, never in the URL).
 */
export const OperationView: FC<{ op: Operation; components: Record<string, JsonSchema> }> = ({ op, components }) => {
  const body = jsonSchemaOf(op.requestBody?.content);
  const pathParams = (op.parameters ?? []).filter((p) => p.in === "path");
  return (
    <article class="operation" id={operationId(op)}>
      <h3>
        <span class={`method method-${op.method}`}>{op.method.toUpperCase()}</span> <code>{op.path}</code>
        {op.security?.length ? (
          <span class="badge" title="Authorization: Bearer <key>">
            key
          </span>
        ) : null}
      </h3>
      {op.summary ? <p class="summary">{op.summary}</p> : null}
      {op.description ? (
        <p>
          <Prose text={op.description} />
        </p>
      ) : null}
      {pathParams.length > 0 ? (
        <>
          <h4>Path parameters</h4>
          <table class="schema">
            <tbody>
              {pathParams.map((p) => (
                <tr>
                  <td>
                    <code>{p.name}</code>
                  </td>
                  <td>{p.schema ? <TypeRef schema={p.schema} /> : null}</td>
                  <td>{p.description ? <Prose text={p.description} /> : null}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      ) : null}
      {body ? (
        <>
          <h4>
            Body <code>application/json</code>
          </h4>
          <SchemaView schema={body.$ref ? (components[body.$ref.split("/").pop()!] ?? body) : body} />
        </>
      ) : null}
      <h4>Responses</h4>
      <table class="schema">
        <tbody>
          {Object.entries(op.responses ?? {}).map(([status, response]) => {
            const schema = jsonSchemaOf(response.content);
            return (
              <tr>
                <td>
                  <code>{status}</code>
                </td>
                <td>{schema ? <TypeRef schema={schema} /> : "—"}</td>
                <td>{response.description ? <Prose text={response.description} /> : null}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <details class="try-it">
        <summary>Try it</summary>
        <form data-try-it data-method={op.method.toUpperCase()} data-path={op.path}>
          {pathParams.map((p) => (
            <label>
              {p.name} <input name={`param:${p.name}`} required value={String(p.schema?.example ?? "")} autocomplete="off" />
            </label>
          ))}
          {body ? (
            <label>
              body{" "}
              <textarea name="body" rows={8} spellcheck={false}>
                {JSON.stringify(exampleOf(body, components), null, 2)}
              </textarea>
            </label>
          ) : null}
          <button type="submit">
            Send {op.method.toUpperCase()} {op.path}
          </button>
          <output>
            <pre class="response" aria-live="polite"></pre>
          </output>
        </form>
      </details>
    </article>
  );
};
