import type { FC } from "hono/jsx";
import type { Session } from "../../auth/session";
import { Layout } from "./layout";

/** A page that only says something: not found, or a form that could not be accepted. */
export const MessagePage: FC<{ title: string; text: string; session: Session | null; now: number }> = ({ title, text, session, now }) => (
  <Layout title={title} session={session} now={now}>
    <h1>{title}</h1>
    <p>{text}</p>
    <p><a href="/">Back to the dashboard</a></p>
  </Layout>
);
