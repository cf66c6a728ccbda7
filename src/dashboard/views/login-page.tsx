import type { FC } from "hono/jsx";
import { Layout } from "./layout";

/** The login form: an API key, posted (never in a URL), exchanged for a session cookie. */
export const LoginPage: FC<{ now: number; error?: string; next?: string }> = ({ now, error, next }) => (
  <Layout title="Log in" session={null} now={now}>
    <section class="login">
      <h1>Dashboard</h1>
      <p class="muted">
        Log in with one of the relay's API keys (<code>RELAY_API_KEYS</code>).
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
