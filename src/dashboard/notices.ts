import type { RedeliverResult } from "../storage/redeliver-subscription";

/**
 * What an action redirects with (`?notice=<code>` or bulk counts) and the text shown for it: only
 * these fixed codes and small integers are read back, so no request text is ever echoed.
 */
const TEXTS: Record<RedeliverResult["kind"], string> = {
  redelivered: "Redelivery queued: the next tick sends the latest event again.",
  nothing_sent: "Nothing to redeliver: no webhook was created for this subscription yet.",
  cancelled: "This subscription is cancelled; register it again instead.",
  not_found: "No such subscription.",
};

/** What the endpoints page's buttons redirect with. */
export type EndpointNotice =
  | "endpoint_enabled"
  | "endpoint_disabled"
  | "endpoint_not_found"
  | "endpoint_recover_disabled"
  | "endpoint_recovered";

const ENDPOINT_TEXTS: Record<Exclude<EndpointNotice, "endpoint_recovered">, string> = {
  endpoint_enabled: "Endpoint enabled: its circuit is closed, and the next tick sends what waited for it.",
  endpoint_disabled: "Endpoint disabled: nothing more is sent to it, and the next ticks end its active subscriptions failed.",
  endpoint_not_found: "No such endpoint.",
  endpoint_recover_disabled: "This endpoint is disabled: enable it first, then recover its failed messages.",
};

/** "Recovery queued for 12 failed messages", and whether more are left for another click. */
function recoveredText(search: URLSearchParams): string {
  const n = /^\d{1,4}$/.exec(search.get("recovered") ?? "")?.[0] ?? "0";
  if (n === "0") return "Nothing to recover: no failed message of this endpoint in that time.";
  const more = search.get("more") === "1" ? " More are left: recover again for the next ones." : "";
  return `Recovery queued for ${n} failed message${n === "1" ? "" : "s"}: the next tick sends ${n === "1" ? "it" : "them"} again.${more}`;
}

export const noticeCode = (result: RedeliverResult) => result.kind;

export function noticeText(search: URLSearchParams): string | null {
  const code = search.get("notice");
  if (code && code in TEXTS) return TEXTS[code as RedeliverResult["kind"]];
  if (code === "endpoint_recovered") return recoveredText(search);
  if (code && code in ENDPOINT_TEXTS) return ENDPOINT_TEXTS[code as keyof typeof ENDPOINT_TEXTS];
  const done = /^\d{1,4}$/.exec(search.get("redelivered") ?? "")?.[0];
  const skipped = /^\d{1,4}$/.exec(search.get("skipped") ?? "")?.[0];
  if (done === undefined) return null;
  return `Redelivery queued for ${done} subscription${done === "1" ? "" : "s"}${skipped && skipped !== "0" ? `; ${skipped} skipped (cancelled, gone, nothing sent yet, or over the limit of one page)` : ""}.`;
}
