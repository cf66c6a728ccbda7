/** Just enough of JSON Schema (as OpenAPI 3.1 writes it) to render the reference and examples. */
export interface JsonSchema {
  $ref?: string;
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  format?: string;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  description?: string;
  example?: unknown;
  default?: unknown;
  items?: JsonSchema;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  additionalProperties?: boolean | JsonSchema;
}

export const refName = (ref: string) => ref.split("/").pop() ?? ref;

const typesOf = (s: JsonSchema): string[] => (Array.isArray(s.type) ? s.type : s.type ? [s.type] : []);

/** A one-line type: `string | null`, `"a" | "b"`, `Subscription[]`, `object`. */
export function typeLabel(s: JsonSchema): string {
  if (s.$ref) return refName(s.$ref);
  if (s.const !== undefined) return JSON.stringify(s.const);
  const nullable = typesOf(s).includes("null") || (s.enum?.includes(null) ?? false);
  let label: string;
  if (s.enum)
    label = s.enum
      .filter((v) => v !== null)
      .map((v) => JSON.stringify(v))
      .join(" | ");
  else if (s.anyOf ?? s.oneOf) return (s.anyOf ?? s.oneOf)!.map(typeLabel).join(" | ");
  else {
    const types = typesOf(s).filter((t) => t !== "null");
    label = types.map((t) => (t === "array" ? `${s.items ? typeLabel(s.items) : "unknown"}[]` : t)).join(" | ") || "any";
  }
  return nullable ? `${label} | null` : label;
}

/** Constraints worth showing next to the type. */
export function constraints(s: JsonSchema): string[] {
  return [
    s.format && `format: ${s.format}`,
    s.pattern && `pattern: ${s.pattern}`,
    s.minLength !== undefined && `min length ${s.minLength}`,
    s.maxLength !== undefined && `max length ${s.maxLength}`,
    s.minItems !== undefined && `at least ${s.minItems}`,
  ].filter((c): c is string => typeof c === "string");
}

/** A plausible request body for the try-it form: examples where given, else the first enum value. */
export function exampleOf(s: JsonSchema, components: Record<string, JsonSchema>, depth = 0): unknown {
  if (depth > 4) return null;
  if (s.$ref) return exampleOf(components[refName(s.$ref)] ?? {}, components, depth + 1);
  if (s.example !== undefined) return s.example;
  if (s.enum) return s.enum[0];
  if (s.properties) {
    const required = new Set(s.required ?? []);
    return Object.fromEntries(
      Object.entries(s.properties)
        .filter(([name, p]) => required.has(name) || p.example !== undefined)
        .map(([name, p]) => [name, exampleOf(p, components, depth + 1)]),
    );
  }
  const type = typesOf(s)[0];
  return type === "array" ? [] : type === "integer" || type === "number" ? 0 : type === "boolean" ? false : type === "string" ? "" : null;
}
