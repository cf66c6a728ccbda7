import type { FC } from "hono/jsx";
import type { Cursor } from "../../storage/keyset";
import { query } from "./format";

export const encodeCursor = (cursor: Cursor) => `${cursor.key}.${cursor.rowid}`;

export function decodeCursor(text: string | undefined): Cursor | undefined {
  const match = /^(\d{1,15})\.(\d{1,15})$/.exec(text ?? "");
  return match ? { key: Number(match[1]), rowid: Number(match[2]) } : undefined;
}

/** "Newest" and "Older" links that keep the filters: keyset pages only go forward from a cursor. */
export const Pager: FC<{ path: string; filters: Record<string, string | undefined>; after?: Cursor; next: Cursor | null }> = ({
  path,
  filters,
  after,
  next,
}) => (
  <nav class="pager">
    {after ? <a href={`${path}${query(filters)}`}>← newest</a> : null}
    {next ? (
      <a href={`${path}${query({ ...filters, after: encodeCursor(next) })}`} rel="next">
        older →
      </a>
    ) : null}
  </nav>
);
