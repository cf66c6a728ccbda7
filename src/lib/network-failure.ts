/**
 * A failed `fetch` in words an operator can act on. workerd names no cause: a refused, reset or
 * non-HTTP connection all throw `Network connection lost.`, and a failed DNS lookup or TLS
 * handshake (its Rust network layer) throws `internal error; reference = ...`, the cause only in
 * workerd's own log under that reference. What the request was tells the rest: the host, and
 * whether it spoke TLS. Other runtimes' words (Node's ENOTFOUND, ECONNREFUSED, ...) are read too.
 * Deployed, Cloudflare answers an unreachable origin with a response instead (530 / 52x):
 * `cloudflareOriginError`.
 */

/** `host` or `host:port`, as the URL names it: never its path, query or credentials. */
function hostOf(url: string): { host: string; tls: boolean } {
  try {
    const parsed = new URL(url);
    return { host: parsed.host, tls: parsed.protocol === "https:" };
  } catch {
    return { host: "the host", tls: false };
  }
}

const CAUSES: [RegExp, (host: string) => string][] = [
  [/ENOTFOUND|EAI_AGAIN|lookup|resolve|Name or service not known|DNS/i, (host) => `could not resolve host ${host}`],
  [/ECONNREFUSED|connection refused/i, (host) => `connection refused by ${host}`],
  [/ECONNRESET|connection reset/i, (host) => `connection reset by ${host}`],
  [/ETIMEDOUT|timed out/i, (host) => `connection to ${host} timed out`],
  [/TLS|SSL|certificate|handshake/i, (host) => `TLS handshake with ${host} failed`],
];

/**
 * Why `fetch(url)` threw, in words, with the runtime's own text after them (workerd's reference
 * finds the cause in its log).
 * @example describeNetworkFailure("https://api.cometapi.com/kling/v1/...", "internal error; reference = 8f2k")
 * // "could not resolve host api.cometapi.com, or the TLS handshake with it failed (internal error; reference = 8f2k)"
 */
export function describeNetworkFailure(url: string, message: string): string {
  const { host, tls } = hostOf(url);
  const words = (() => {
    if (/^internal error; reference = /.test(message))
      return tls ? `could not resolve host ${host}, or the TLS handshake with it failed` : `could not resolve host ${host}`;
    if (/^Network connection lost\.?$/.test(message)) return `connection to ${host} refused, reset or closed before an answer`;
    return CAUSES.find(([pattern]) => pattern.test(message))?.[1](host);
  })();
  return words ? `${words} (${message})` : message;
}

/** Cloudflare's 1xxx codes of an origin it could not reach, which a 530 answer names. */
const CLOUDFLARE_530: Record<string, string> = {
  "1016": "could not resolve the host (Cloudflare 1016: origin DNS error)",
  "1033": "the host's Cloudflare Tunnel is down (Cloudflare 1033)",
};

/** The statuses Cloudflare answers with, in front of an origin it could not use. */
const CLOUDFLARE_52X: Record<number, string> = {
  521: "the origin server refused the connection (Cloudflare 521)",
  522: "the connection to the origin server timed out (Cloudflare 522)",
  523: "the origin server is unreachable (Cloudflare 523)",
  524: "the origin server took too long to answer (Cloudflare 524)",
  525: "the TLS handshake with the origin server failed (Cloudflare 525)",
  526: "the origin server's TLS certificate is invalid (Cloudflare 526)",
};

/**
 * What a Cloudflare error answer means (a host behind Cloudflare whose origin is down, or any host
 * a deployed Worker cannot reach: workerd throws, the platform answers), or null for any other.
 * A 530's code is in its body: `error code: 1016` (plain) or the HTML page's `Error 1016`.
 * @example cloudflareOriginError(530, "error code: 1016") // "could not resolve the host (Cloudflare 1016: origin DNS error)"
 */
export function cloudflareOriginError(status: number, body: string): string | null {
  if (status === 530) {
    const code = /error code:? ?(\d{4})|errorCode:(\d{4})|Error\s*(?:<\/span>\s*<span[^>]*>)?\s*(\d{4})/i.exec(body.slice(0, 8192));
    const found = code?.[1] ?? code?.[2] ?? code?.[3];
    return found ? (CLOUDFLARE_530[found] ?? `Cloudflare error ${found}`) : null;
  }
  return CLOUDFLARE_52X[status] ?? null;
}
