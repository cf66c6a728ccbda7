/**
 * The few edits `npm run deploy` makes to wrangler.toml, as text: the file is mostly comments that
 * explain it, and wrangler's own patcher (`experimental_patchConfig`) refuses a TOML file with
 * comments (it would rewrite it without them). Each edit touches one line or adds one; the caller
 * reads the result back through wrangler (`unstable_readConfig`) to check it says what was meant.
 */

/** A table's header line as written in the file: `[vars]`, `[env.queues.vars]`, `[[r2_buckets]]`. */
const header = (line: string) => /^\s*\[\[?([^\]]+)\]\]?\s*(#.*)?$/.exec(line)?.[1]?.trim();

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * Sets `database_id` in every `d1_databases` entry (the top level's and each environment's: an
 * environment does not inherit bindings) whose `database_name` is `name`.
 */
export function setDatabaseId(toml: string, name: string, id: string): string {
  const lines = toml.split("\n");
  let table: string | undefined;
  let nameMatches = false;
  let idLine = -1;
  const settle = () => {
    if (table?.endsWith("d1_databases") && nameMatches && idLine >= 0) {
      lines[idLine] = (lines[idLine] as string).replace(/=\s*"[^"]*"/, `= "${id}"`);
    }
  };
  lines.forEach((line, i) => {
    const opened = header(line);
    if (opened !== undefined) {
      settle();
      table = opened;
      nameMatches = false;
      idLine = -1;
      return;
    }
    if (new RegExp(`^\\s*database_name\\s*=\\s*"${escapeRegExp(name)}"`).test(line)) nameMatches = true;
    if (/^\s*database_id\s*=/.test(line)) idLine = i;
  });
  settle();
  return lines.join("\n");
}

/** The vars table of an environment: `[vars]` for the top level, `[env.<name>.vars]` for a named one. */
export const varsTable = (environment: string) => (environment ? `env.${environment}.vars` : "vars");

/**
 * Sets a var in the table `table` (see `varsTable`): replaces its line if it has one, else adds
 * one after the table's last key.
 */
export function setVar(toml: string, table: string, name: string, value: string): string {
  const lines = toml.split("\n");
  const start = lines.findIndex((line) => header(line) === table && !line.trim().startsWith("[["));
  if (start < 0) throw new Error(`wrangler.toml has no [${table}] table`);
  let end = lines.findIndex((line, i) => i > start && header(line) !== undefined);
  if (end < 0) end = lines.length;
  const entry = `${name} = ${JSON.stringify(value)}`;
  const own = lines.findIndex((line, i) => i > start && i < end && new RegExp(`^\\s*${escapeRegExp(name)}\\s*=`).test(line));
  if (own >= 0) {
    lines[own] = entry;
  } else {
    let lastKey = start;
    for (let i = start + 1; i < end; i++) if (/^\s*[A-Za-z0-9_-]+\s*=/.test(lines[i] as string)) lastKey = i;
    lines.splice(lastKey + 1, 0, entry);
  }
  return lines.join("\n");
}

/**
 * Uncomments the `ARCHIVE` bucket's binding of an environment (`# [[r2_buckets]]` and the two
 * lines after it, as wrangler.toml ships them). Unchanged when it is already on.
 */
export function enableArchiveBinding(toml: string, environment: string): string {
  const table = environment ? `env.${environment}.r2_buckets` : "r2_buckets";
  const commented = new RegExp(`^# \\[\\[${escapeRegExp(table)}\\]\\]\\n# (binding = "ARCHIVE")\\n# (bucket_name = "[^"]*")$`, "m");
  return toml.replace(commented, `[[${table}]]\n$1\n$2`);
}
