import type { FC } from "hono/jsx";
import { constraints, type JsonSchema, refName, typeLabel } from "./json-schema";

/** Description text with its `code` spans (the document's only markdown) as <code>, all escaped. */
export const Prose: FC<{ text: string }> = ({ text }) => (
  <>{text.split("`").map((part, i) => (i % 2 === 1 ? <code>{part}</code> : part))}</>
);

/** A type, linking to its component when it is one (or an array of one). */
export const TypeRef: FC<{ schema: JsonSchema }> = ({ schema }) => {
  const ref = schema.$ref ?? schema.items?.$ref;
  const label = typeLabel(schema);
  return ref ? (
    <a href={`#schema-${refName(ref)}`}>
      <code>{label}</code>
    </a>
  ) : (
    <code>{label}</code>
  );
};

const MAX_DEPTH = 3;

/** An object schema's properties, nested objects indented under their property. */
export const PropertyRows: FC<{ schema: JsonSchema; depth?: number; prefix?: string }> = ({ schema, depth = 0, prefix = "" }) => {
  const required = new Set(schema.required ?? []);
  return (
    <>
      {Object.entries(schema.properties ?? {}).map(([name, property]) => {
        const nested = property.items?.properties ? property.items : property.properties ? property : undefined;
        return (
          <>
            <tr>
              <td>
                <code>
                  {prefix}
                  {name}
                </code>
                {required.has(name) ? (
                  <span class="required" title="required">
                    {" "}
                    *
                  </span>
                ) : null}
              </td>
              <td>
                <TypeRef schema={property} />
              </td>
              <td>
                {property.description ? (
                  <span>
                    <Prose text={property.description} />{" "}
                  </span>
                ) : null}
                {constraints(property).map((c) => (
                  <span class="constraint">{c}</span>
                ))}
              </td>
            </tr>
            {nested && depth < MAX_DEPTH ? (
              <PropertyRows schema={nested} depth={depth + 1} prefix={`${prefix}${name}${property.items ? "[]" : ""}.`} />
            ) : null}
          </>
        );
      })}
    </>
  );
};

/** A schema as a table of its fields (or its type, when it has none). */
export const SchemaView: FC<{ schema: JsonSchema }> = ({ schema }) => {
  if (!schema.properties)
    return (
      <p>
        <TypeRef schema={schema} />
      </p>
    );
  return (
    <table class="schema">
      <thead>
        <tr>
          <th>field</th>
          <th>type</th>
          <th>notes</th>
        </tr>
      </thead>
      <tbody>
        <PropertyRows schema={schema} />
      </tbody>
    </table>
  );
};
