import type { FC } from "hono/jsx";

/** Description text with its `code` spans (the document's only markdown) as <code>, all escaped. */
export const Prose: FC<{ text: string }> = ({ text }) => (
  <>{text.split("`").map((part, i) => (i % 2 === 1 ? <code>{part}</code> : part))}</>
);
