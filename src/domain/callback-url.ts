// SSRF guard for user-supplied webhook callback URLs.
//
// Pure on purpose: it runs inside workerd and in unit tests alike. Workers
// cannot resolve DNS before fetch, so only what the URL itself says can be
// checked here; a DNS name that later resolves to a private address is out of
// reach of this module.
//
// The rule is an allow-list, not a list of known-bad hosts: the host must be a
// public unicast IP address (special-ranges.ts) or a DNS name under an ICANN
// public suffix. Both lists are data shipped in packages (ipaddr.js, and tldts
// with its copy of the Public Suffix List): no network access at runtime.
//
// Reasons do not name the field: the error envelope puts `callback_url` in
// front of them ("invalid request: callback_url must use https").
import ipaddr from "ipaddr.js";
import { parse as parseDomain } from "tldts";
import { isPublicAddress } from "./special-ranges";

export type CallbackUrlCheck = { ok: true; url: string } | { ok: false; reason: string };

const MAX_LENGTH = 2048;

// The URL parser silently strips tabs/newlines and trims spaces, so the raw
// string is checked first: what we store must be exactly what the caller sent.
const WHITESPACE_OR_CONTROL = /[\s\p{Cc}]/u;

// Cloud metadata names, refused with a message of their own. `metadata.goog`
// is under the public `.goog` suffix, so the suffix check alone would let it by.
const METADATA_HOSTS: ReadonlySet<string> = new Set(["metadata", "metadata.google.internal", "metadata.goog"]);

// RFC 6761 lists these three among the special-use names (tldts flags them),
// but unlike `.example` they are real registrations under .com/.net/.org whose
// addresses are IANA's public servers: nothing private can be reached there.
const PUBLIC_DOCUMENTATION_DOMAINS: ReadonlySet<string> = new Set(["example.com", "example.net", "example.org"]);

const refuse = (reason: string): CallbackUrlCheck => ({ ok: false, reason });

const PRIVATE_ADDRESS = "points to a private, loopback, link-local or reserved address";

/**
 * The IP address a WHATWG-parsed hostname stands for, or null for a name. The URL
 * parser has already turned every IPv4 spelling (decimal, octal, hex, short forms
 * such as 127.1) into a dotted quad, and validated and bracketed IPv6.
 */
function ipLiteral(hostname: string): ipaddr.IPv4 | ipaddr.IPv6 | null {
  if (hostname.startsWith("[") && hostname.endsWith("]")) return ipaddr.IPv6.parse(hostname.slice(1, -1));
  if (ipaddr.IPv4.isValidFourPartDecimal(hostname)) return ipaddr.IPv4.parse(hostname);
  return null;
}

/** Null when the address may be called. Loopback stays reachable in local development. */
function checkAddress(address: ipaddr.IPv4 | ipaddr.IPv6, allowInsecure: boolean): string | null {
  if (allowInsecure && address.range() === "loopback") return null;
  return isPublicAddress(address) ? null : PRIVATE_ADDRESS;
}

/**
 * Null when the name may be called: it must end in an ICANN public suffix and
 * have a registrable domain under it. That rules out single labels ("metadata",
 * "fileserver"), bare suffixes ("co.uk") and every private or special-use
 * ending: .svc, .local, .lan, .internal, .corp, .home.arpa, .test, .onion...
 */
function checkName(hostname: string, allowInsecure: boolean): string | null {
  // One trailing dot names the same host (the DNS root) and is kept in the
  // stored URL. The URL parser keeps any number of them, but tldts strips them
  // all; "127.0.0.1.." is not an IP literal to the URL parser: refuse outright.
  if (hostname.endsWith("..")) return "host must not end with more than one dot";
  const name = hostname.endsWith(".") ? hostname.slice(0, -1) : hostname;
  if (name === "") return "has no host";

  if (name === "localhost" || name.endsWith(".localhost")) return allowInsecure ? null : "must not be localhost";
  if (METADATA_HOSTS.has(name) || name.endsWith(".internal")) return "points to a cloud metadata or internal host";
  // The PSL lists .arpa and some of its zones (in-addr.arpa, home.arpa) as ICANN
  // suffixes, but .arpa is infrastructure (RFC 3172): no webhook lives there.
  if (name.endsWith(".arpa")) return "host is not a public domain name";

  // allowPrivateDomains: false, so "foo.github.io" counts as a name under .io:
  // private PSL entries are public hosts too, only registered differently.
  const domain = parseDomain(name, { allowPrivateDomains: false, detectSpecialUse: true });
  const registrable = domain.hostname === name && domain.isIcann === true && domain.domain !== null;
  const specialUse = domain.isSpecialUse === true && !PUBLIC_DOCUMENTATION_DOMAINS.has(domain.domain ?? "");
  return registrable && !specialUse ? null : "host is not a public domain name";
}

/** Validates a webhook callback URL against SSRF. `url` is the normalized href to store and call. */
export function checkCallbackUrl(raw: string, options: { allowInsecure: boolean }): CallbackUrlCheck {
  const { allowInsecure } = options;
  if (WHITESPACE_OR_CONTROL.test(raw)) return refuse("must not contain whitespace or control characters");

  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    return refuse("is not an absolute URL");
  }

  // The limit is on what is stored and called, not on what was sent: percent-
  // encoding makes "é" six characters, so 2,048 sent can become 12,000 stored.
  if (parsed.href.length > MAX_LENGTH) return refuse(`is longer than ${MAX_LENGTH} characters`);
  if (parsed.protocol !== "https:" && !(allowInsecure && parsed.protocol === "http:")) {
    return refuse("must use https");
  }
  if (parsed.username !== "" || parsed.password !== "") {
    return refuse("must not contain credentials");
  }
  // Port 0 is no port at all: stacks treat it as "any" or fail in their own ways.
  // Every other explicit port (1-65535; the parser refuses the rest) is allowed.
  if (parsed.port === "0") return refuse("must not use port 0");

  // Lower-cased and IDNA-encoded by the parser: "bücher.de" is "xn--bcher-kva.de".
  const hostname = parsed.hostname;
  if (hostname === "") return refuse("has no host");

  const address = ipLiteral(hostname);
  const reason = address ? checkAddress(address, allowInsecure) : checkName(hostname, allowInsecure);
  return reason === null ? { ok: true, url: parsed.href } : refuse(reason);
}
