import type { FC } from "hono/jsx";
import { Layout } from "./layout";

/** The login form: an API key, posted (never in a URL), exchanged for a session cookie. */
export const LoginPage: FC<{ now: number; error?: string; next?: string }> = ({ now, error, next }) => (
  <Layout title="Log in" session={null} now={now}>
    <section class="login">
      <h1>Dashboard</h1>
      <p class="muted">
        Log in with an API key: a tenant's key shows that tenant's data only; <code>ADMIN_API_KEY</code> shows every tenant's.
      </p>
      {error ? (
        <p class="notice notice-warn" role="alert">
          {error}
        </p>
      ) : null}
      <form method="post" action="/dashboard/login">
        <label>
          API key <input type="password" name="api_key" autocomplete="current-password" required autofocus />
        </label>
        {next ? <input type="hidden" name="next" value={next} /> : null}
        <button type="submit">Log in</button>
      </form>
    </section>
  </Layout>
);
