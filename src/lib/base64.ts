/**
 * Base64 (RFC 4648 §4) and its URL-safe, unpadded form (§5), over bytes. `decodeBase64` throws on
 * text that is not base64. (`packages/client/src/verify-webhook.ts` keeps its own copy: apps copy that file.)
 */

export function encodeBase64(bytes: ArrayBuffer | Uint8Array): string {
  let binary = "";
  for (const byte of bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes)) binary += String.fromCharCode(byte);
  return btoa(binary);
}

export function decodeBase64(text: string): Uint8Array {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

export const encodeBase64Url = (bytes: ArrayBuffer | Uint8Array): string =>
  encodeBase64(bytes).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");

export const decodeBase64Url = (text: string): Uint8Array => decodeBase64(text.replaceAll("-", "+").replaceAll("_", "/"));
