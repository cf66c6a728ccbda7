import { checkCallbackUrl } from "../domain/callback-url";
import { USER_AGENT } from "../version";

/** Redirects followed at most: CDNs send one or two; more is a loop. */
const MAX_REDIRECTS = 5;

export type SourceAnswer =
  | { kind: "response"; response: Response }
  /** The URL (or a redirect's) points where the relay never goes: a permanent failure. */
  | { kind: "refused"; reason: string };

/**
 * GETs an output file's URL behind the same address wall as callback URLs (domain/callback-url.ts:
 * upstream chose the URL, but a private, loopback or metadata address is never fetched), following
 * redirects by hand so that every hop passes the wall too. Throws what `fetch` throws (network
 * errors, the signal's abort); the caller reads the body.
 */
export async function fetchSource(
  url: string,
  headers: Record<string, string>,
  signal: AbortSignal,
  allowInsecure: boolean,
): Promise<SourceAnswer> {
  let current = url;
  for (let hop = 0; ; hop += 1) {
    const check = checkCallbackUrl(current, { allowInsecure });
    if (!check.ok) return { kind: "refused", reason: `the file's URL ${check.reason}` };
    const response = await fetch(check.url, { redirect: "manual", signal, headers: { "user-agent": USER_AGENT, ...headers } });
    const location = response.headers.get("location");
    if (response.status < 300 || response.status > 399 || location === null) return { kind: "response", response };
    await response.body?.cancel().catch(() => undefined);
    if (hop === MAX_REDIRECTS) return { kind: "refused", reason: `more than ${MAX_REDIRECTS} redirects` };
    try {
      current = new URL(location, check.url).href;
    } catch {
      return { kind: "refused", reason: "a redirect to an invalid URL" };
    }
  }
}
