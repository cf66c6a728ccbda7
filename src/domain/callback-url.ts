// SSRF guard for user-supplied webhook callback URLs.
//
// Pure on purpose: it runs inside workerd and in unit tests alike. Workers
// cannot resolve DNS before fetch, so only what the URL itself says can be
// checked here; a DNS name that later resolves to a private address is out of
// reach of this module.

export type CallbackUrlCheck = { ok: true; url: string } | { ok: false; reason: string };

const MAX_LENGTH = 2048;

// The URL parser silently strips tabs/newlines and trims spaces, so the raw
// string is checked first: what we store must be exactly what the caller sent.
const WHITESPACE_OR_CONTROL = /[\s\p{Cc}]/u;

const REFUSED_IPV4_RANGES: readonly string[] = [
  "0.0.0.0/8", // "this network"; 0.0.0.0 reaches the local host on many stacks
  "10.0.0.0/8", // RFC 1918 private
  "100.64.0.0/10", // carrier-grade NAT shared space
  "127.0.0.0/8", // loopback
  "169.254.0.0/16", // link-local, includes cloud metadata 169.254.169.254
  "172.16.0.0/12", // RFC 1918 private
  "192.0.0.0/24", // IETF protocol assignments
  "192.0.2.0/24", // TEST-NET-1 documentation
  "192.88.99.0/24", // deprecated 6to4 relay anycast
  "192.168.0.0/16", // RFC 1918 private
  "198.18.0.0/15", // benchmarking
  "198.51.100.0/24", // TEST-NET-2 documentation
  "203.0.113.0/24", // TEST-NET-3 documentation
  "224.0.0.0/4", // multicast
  "240.0.0.0/4", // reserved, includes broadcast 255.255.255.255
];

const REFUSED_IPV6_RANGES: readonly string[] = [
  "::/96", // unspecified, loopback and deprecated IPv4-compatible addresses
  "::ffff:0:0/96", // IPv4-mapped: would reach the embedded IPv4 directly
  "100::/64", // discard-only
  "2001:db8::/32", // documentation
  "fc00::/7", // unique local, includes AWS metadata fd00:ec2::254
  "fe80::/10", // link-local
  "fec0::/10", // deprecated site-local
  "ff00::/8", // multicast
];

// Prefixes whose addresses carry an IPv4 address that a translator will reach.
const NAT64 = cidr6("64:ff9b::/96");
const SIX_TO_FOUR = cidr6("2002::/16");

const LOOPBACK_IPV4 = cidr4("127.0.0.0/8");
const LOOPBACK_IPV6 = 1n;

const METADATA_HOSTS: ReadonlySet<string> = new Set(["metadata", "metadata.google.internal", "metadata.goog"]);

/** Parses a dotted-quad IPv4 address into an unsigned 32-bit integer. */
function parseIpv4(host: string): number | null {
  const parts = host.split(".");
  if (parts.length !== 4) return null;
  let value = 0;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part)) return null;
    const octet = Number(part);
    if (octet > 255) return null;
    value = value * 256 + octet;
  }
  return value;
}

/** Parses an IPv6 address (optionally in brackets) into a 128-bit bigint. */
function parseIpv6(host: string): bigint | null {
  const text = host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
  if (!text.includes(":")) return null;
  const halves = text.split("::");
  if (halves.length > 2) return null;
  const groups = halves.map((half) => (half === "" ? [] : half.split(":")));
  // An embedded dotted IPv4 tail stands for the last two groups.
  const last = groups[groups.length - 1] ?? [];
  const tail = last[last.length - 1];
  if (tail?.includes(".")) {
    const v4 = parseIpv4(tail);
    if (v4 === null) return null;
    last.splice(-1, 1, (v4 >>> 16).toString(16), (v4 & 0xffff).toString(16));
  }
  const head = groups[0] ?? [];
  const rest = groups[1] ?? [];
  const missing = 8 - head.length - rest.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return null;
  const all = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill("0"), ...rest];
  let value = 0n;
  for (const group of all) {
    if (!/^[0-9a-f]{1,4}$/i.test(group)) return null;
    value = (value << 16n) | BigInt(parseInt(group, 16));
  }
  return value;
}

type Cidr<T> = { base: T; mask: T };

function cidr4(range: string): Cidr<number> {
  const [addr = "", bits = ""] = range.split("/");
  const prefix = Number(bits);
  const mask = prefix === 0 ? 0 : (~0 << (32 - prefix)) >>> 0;
  return { base: ((parseIpv4(addr) ?? NaN) & mask) >>> 0, mask };
}

function cidr6(range: string): Cidr<bigint> {
  const [addr = "", bits = ""] = range.split("/");
  const all = (1n << 128n) - 1n;
  const mask = (all << BigInt(128 - Number(bits))) & all;
  return { base: (parseIpv6(addr) ?? 0n) & mask, mask };
}

const in4 = (ip: number, c: Cidr<number>): boolean => ((ip & c.mask) >>> 0) === c.base;
const in6 = (ip: bigint, c: Cidr<bigint>): boolean => (ip & c.mask) === c.base;

const REFUSED_IPV4 = REFUSED_IPV4_RANGES.map(cidr4);
const REFUSED_IPV6 = REFUSED_IPV6_RANGES.map(cidr6);

function isRefusedIpv4(ip: number, allowLoopback = false): boolean {
  if (allowLoopback && in4(ip, LOOPBACK_IPV4)) return false;
  return REFUSED_IPV4.some((c) => in4(ip, c));
}

function isRefusedIpv6(ip: bigint, allowLoopback = false): boolean {
  if (allowLoopback && ip === LOOPBACK_IPV6) return false;
  if (in6(ip, NAT64)) return isRefusedIpv4(Number(ip & 0xffffffffn));
  if (in6(ip, SIX_TO_FOUR)) return isRefusedIpv4(Number((ip >> 80n) & 0xffffffffn));
  return REFUSED_IPV6.some((c) => in6(ip, c));
}

const refuse = (reason: string): CallbackUrlCheck => ({ ok: false, reason });

/** Validates a webhook callback URL against SSRF. `url` is the normalized href to store and call. */
export function checkCallbackUrl(raw: string, options: { allowInsecure: boolean }): CallbackUrlCheck {
  const { allowInsecure } = options;
  if (raw.length > MAX_LENGTH) return refuse(`callback_url is longer than ${MAX_LENGTH} characters`);
  if (WHITESPACE_OR_CONTROL.test(raw)) return refuse("callback_url must not contain whitespace or control characters");

  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    return refuse("callback_url is not an absolute URL");
  }

  if (parsed.protocol !== "https:" && !(allowInsecure && parsed.protocol === "http:")) {
    return refuse("callback_url must use https");
  }
  if (parsed.username !== "" || parsed.password !== "") {
    return refuse("callback_url must not contain credentials");
  }

  const host = parsed.hostname.toLowerCase().replace(/\.$/, "");
  if (host === "") return refuse("callback_url has no host");

  if (host === "localhost" || host.endsWith(".localhost")) {
    return allowInsecure ? { ok: true, url: parsed.href } : refuse("callback_url must not be localhost");
  }
  if (METADATA_HOSTS.has(host) || host === "internal" || host.endsWith(".internal")) {
    return refuse("callback_url points to a cloud metadata or internal host");
  }

  const v4 = parseIpv4(host);
  const v6 = v4 === null && host.startsWith("[") ? parseIpv6(host) : null;
  if (host.startsWith("[") && v6 === null) return refuse("callback_url has an invalid IPv6 address");
  if ((v4 !== null && isRefusedIpv4(v4, allowInsecure)) || (v6 !== null && isRefusedIpv6(v6, allowInsecure))) {
    return refuse("callback_url points to a private, loopback, link-local or reserved address");
  }

  return { ok: true, url: parsed.href };
}
