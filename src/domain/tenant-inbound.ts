import { encodeBase64Url } from "../lib/base64";

/**
 * The callback URL a tenant's own upstream account is given: `/inbound/{provider}/t/{tenant}/{token}`,
 * its token HMAC-SHA256 of the tenant id under INBOUND_TOKEN (base64url). It names the tenant, so
 * a callback from that account reaches only that tenant's tasks on it, and is verified with that
 * tenant's own webhook secret; the token is the tenant's alone (one tenant's URL does not give the
 * operator's token or another tenant's), and every INBOUND_TOKEN of a rotation derives one.
 */

const LABEL = "kling-webhook-relay inbound tenant v1\n";

/** The token of `tenantId`'s callback URL under one INBOUND_TOKEN. */
export async function tenantInboundToken(inboundToken: string, tenantId: string): Promise<string> {
  const encoder = new TextEncoder();
  const key = await crypto.subtle.importKey("raw", encoder.encode(inboundToken), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return encodeBase64Url(await crypto.subtle.sign("HMAC", key, encoder.encode(`${LABEL}${tenantId}`)));
}

/** `{base}/inbound/{provider}/t/{tenant}/{token}`. */
export const tenantInboundUrl = (publicBaseUrl: string, provider: string, tenantId: string, token: string): string =>
  `${publicBaseUrl}/inbound/${provider}/t/${encodeURIComponent(tenantId)}/${token}`;
