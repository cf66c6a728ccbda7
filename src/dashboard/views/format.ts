import { isParked } from "../../domain/parked-time";

/** Small formatting helpers for the dashboard's views (pure). */

/** A duration as the largest sensible unit: "45 s", "12 min", "3 h", "2 d". */
export function duration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 90) return `${s} s`;
  if (s < 90 * 60) return `${Math.round(s / 60)} min`;
  if (s < 36 * 3600) return `${Math.round(s / 3600)} h`;
  return `${Math.round(s / 86400)} d`;
}

export const ago = (ms: number | null, now: number) => (ms === null ? "—" : `${duration(now - ms)} ago`);
export const until = (ms: number | null, now: number) => (ms === null ? "—" : ms <= now ? "due now" : `in ${duration(ms - now)}`);
/**
 * A row's next poll or attempt, `label` first ("next poll in 3 min"); a parked one (its tenant
 * suspended) as waiting, not as a time ~142,000 years away.
 */
export const nextAt = (label: string, ms: number | null, now: number) =>
  isParked(ms) ? "waiting: tenant suspended" : `${label} ${until(ms, now)}`;
export const iso = (ms: number | null) => (ms === null ? "" : new Date(ms).toISOString());
export const kindLabel = (action: string | null, action2: string | null) => (action && action2 ? `${action}/${action2}` : "—");

/** Thousands separators, and the count cap shown as "10,000+". */
export const count = (n: number, cap?: number) =>
  cap !== undefined && n > cap ? `${cap.toLocaleString("en-US")}+` : n.toLocaleString("en-US");

/** A callback URL without its query (which may carry a receiver's token): host and path. */
export function shortUrl(url: string): string {
  try {
    const parsed = new URL(url);
    const path = parsed.pathname.length > 32 ? `${parsed.pathname.slice(0, 31)}…` : parsed.pathname;
    return `${parsed.host}${path}`;
  } catch {
    return url.slice(0, 40);
  }
}

/** A query string from defined values only. */
export function query(params: Record<string, string | number | undefined>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== undefined && value !== "") search.set(key, String(value));
  const text = search.toString();
  return text ? `?${text}` : "";
}

/** `href` with `params` set on its query (undefined ones left out), e.g. a list link keeping a filter. */
export function withParams(href: string, params: Record<string, string | undefined>): string {
  const [path, search = ""] = href.split("?") as [string, string?];
  return `${path}${query({ ...Object.fromEntries(new URLSearchParams(search)), ...params })}`;
}
