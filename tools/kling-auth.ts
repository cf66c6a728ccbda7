/**
 * How Kling's own API checks `Authorization` (docs/upstream.md, "Kling's own API"): an API key as
 * a bearer token, or (legacy API only) a JWT signed HS256 with the secret key whose `iss` is the
 * access key. Failures carry Kling's codes: 1001 empty, 1002 invalid, 1003 not yet valid (nbf),
 * 1004 expired (exp).
 */
import { createHmac, timingSafeEqual } from "node:crypto";

/** The credentials the simulator accepts for Kling's own API; null turns one way off. */
export interface KlingCredentials {
  apiKey: string | null;
  accessKey: string | null;
  secretKey: string | null;
}

/** Accepted unless a simulation configures others (options.kling, `PUT /_sim/kling`). */
export const DEFAULT_KLING_CREDENTIALS: KlingCredentials = {
  apiKey: "sim-kling-api-key",
  accessKey: "sim-kling-access-key",
  secretKey: "sim-kling-secret-key",
};

export type AuthOutcome = { ok: true; via: "api_key" | "jwt" } | { ok: false; code: number; message: string };

const fail = (code: number, message: string): AuthOutcome => ({ ok: false, code, message });

const decodeJson = (part: string): Record<string, unknown> | null => {
  try {
    const value = JSON.parse(Buffer.from(part, "base64url").toString("utf8"));
    return value && typeof value === "object" && !Array.isArray(value) ? value : null;
  } catch {
    return null;
  }
};

const sameText = (a: string, b: string) => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

/** Checks a JWT the way Kling does: signature, then `iss`, then `exp` and `nbf` against `nowSeconds`. */
export function verifyKlingJwt(token: string, credentials: KlingCredentials, nowSeconds: number): AuthOutcome {
  const parts = token.split(".");
  if (parts.length !== 3) return fail(1002, "Authorization is invalid: not an API key or a JWT");
  const [headerPart, payloadPart, signaturePart] = parts as [string, string, string];
  const header = decodeJson(headerPart);
  const payload = decodeJson(payloadPart);
  if (!header || !payload) return fail(1002, "Authorization is invalid: malformed token");
  if (header.alg !== "HS256") return fail(1002, "Authorization is invalid: alg must be HS256");
  if (credentials.accessKey === null || credentials.secretKey === null)
    return fail(1002, "Authorization is invalid: no access key configured");
  const expected = createHmac("sha256", credentials.secretKey).update(`${headerPart}.${payloadPart}`).digest();
  const given = Buffer.from(signaturePart, "base64url");
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return fail(1002, "Authorization is invalid: bad signature");
  if (typeof payload.iss !== "string" || !sameText(payload.iss, credentials.accessKey))
    return fail(1002, "Authorization is invalid: unknown access key");
  if (typeof payload.exp !== "number") return fail(1002, "Authorization is invalid: no exp claim");
  if (payload.exp <= nowSeconds) return fail(1004, "Authorization token expired");
  if (typeof payload.nbf === "number" && payload.nbf > nowSeconds) return fail(1003, "Authorization token not yet valid");
  return { ok: true, via: "jwt" };
}

/** Checks an `Authorization` header: the API key, or (when `allowJwt`) a JWT. */
export function checkKlingAuth(
  header: string | undefined,
  credentials: KlingCredentials,
  nowSeconds: number,
  allowJwt: boolean,
): AuthOutcome {
  if (!header) return fail(1001, "Authorization is empty");
  const match = /^Bearer (.+)$/.exec(header);
  if (!match) return fail(1002, "Authorization is invalid: expected Bearer");
  const token = match[1]!;
  if (credentials.apiKey !== null && sameText(token, credentials.apiKey)) return { ok: true, via: "api_key" };
  if (!allowJwt) return fail(1002, "Authorization is invalid: this API takes an API key");
  return verifyKlingJwt(token, credentials, nowSeconds);
}
