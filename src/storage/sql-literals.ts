import { type SQL, sql } from "drizzle-orm";

/**
 * The code's own constants (event types, statuses, archive states) written into SQL as literals
 * rather than bound parameters: the query planner picks a partial index only when the literal its
 * WHERE clause names is in the statement's text, and the statements stay as they read in a plan.
 * Never for input: these quote, but they are for names the code declares.
 */
export const literalText = (value: string): string => `'${value.replaceAll("'", "''")}'`;

/** `expression = 'a'` for one value, `expression IN ('a', 'b')` for more, as text. */
export function oneOfText(expression: string, values: readonly string[]): string {
  if (values.length === 0) throw new Error(`oneOfText(${expression}): no values`);
  return values.length === 1 ? `${expression} = ${literalText(values[0]!)}` : `${expression} IN (${values.map(literalText).join(", ")})`;
}

/** A constant as an SQL literal, for a `sql` template. */
export const literal = (value: string): SQL => sql.raw(literalText(value));

/** `expression = 'a'` or `expression IN ('a', 'b')`, for a `sql` template. */
export const oneOf = (expression: string, values: readonly string[]): SQL => sql.raw(oneOfText(expression, values));

/** `('a', 'b')`: the values as a parenthesised list, for `expression IN` a list when the expression is not a column. */
export const literalList = (values: readonly string[]): SQL => sql.raw(`(${values.map(literalText).join(", ")})`);
