import type { IncomingMessage, ServerResponse } from "node:http";

export const readBody = (req: IncomingMessage) =>
  new Promise<string>((resolve, reject) => {
    const chunks: Uint8Array[] = [];
    req.on("data", (c: Uint8Array) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });

export function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(JSON.stringify(body));
}

/** A fetch whose answer, body included, must arrive in time. */
export interface TimedFetchInit extends RequestInit {
  /** The time limit for the whole exchange (headers and body). */
  timeoutMs: number;
  /** Says what the request was for, in the error when it gets no answer in time. */
  what?: string;
}

/**
 * Fetches and reads the body as text within `timeoutMs`; `signal`, when given, can end it sooner.
 * A request that gets no answer in time fails with "<what> got no answer within N s", not with
 * an AbortError or a bare "fetch failed".
 */
export async function fetchText(url: string, init: TimedFetchInit): Promise<{ res: Response; text: string }> {
  const { timeoutMs, what, signal, ...rest } = init;
  const timeout = AbortSignal.timeout(timeoutMs);
  try {
    const res = await fetch(url, { ...rest, signal: signal ? AbortSignal.any([timeout, signal]) : timeout });
    return { res, text: await res.text() };
  } catch (error) {
    const label = what ?? `${rest.method ?? "GET"} ${url}`;
    if (timeout.aborted) throw new Error(`${label} got no answer within ${timeoutMs / 1000} s`, { cause: error });
    if (signal?.aborted) throw error;
    const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : "";
    throw new Error(`${label} failed: ${error instanceof Error ? error.message : String(error)}${cause}`, { cause: error });
  }
}
