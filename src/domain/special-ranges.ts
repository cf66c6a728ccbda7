// Which IP addresses a webhook may be sent to: public unicast ones only.
//
// Two independent nets, so that neither alone has to be complete:
// 1. ipaddr.js, a maintained library, names most special ranges: only its `unicast` passes.
// 2. The tables below list every block of the IANA IPv4 and IPv6 Special-Purpose Address
//    Registries (https://www.iana.org/assignments/iana-ipv4-special-registry/ and
//    .../iana-ipv6-special-registry/), plus multicast and the deprecated IPv6 forms, whatever
//    ipaddr.js's version says about them. Blocks the registries mark "globally reachable" are
//    refused too: an anycast relay, a benchmarking or an AS112 address is never a webhook
//    receiver, and refusing costs nothing. When the registries grow, add a row and a test.
import ipaddr from "ipaddr.js";

type Address = ipaddr.IPv4 | ipaddr.IPv6;
type Cidr = [Address, number];

const cidrs = (rows: readonly string[]): readonly Cidr[] => rows.map((row) => ipaddr.parseCIDR(row));

const SPECIAL_IPV4 = cidrs([
  "0.0.0.0/8", // RFC 791 "this network"; 0.0.0.0/32 (RFC 1122) reaches the local host on many stacks
  "10.0.0.0/8", // RFC 1918 private
  "100.64.0.0/10", // RFC 6598 shared address space (carrier-grade NAT)
  "127.0.0.0/8", // RFC 1122 loopback
  "169.254.0.0/16", // RFC 3927 link-local, includes the cloud metadata address 169.254.169.254
  "172.16.0.0/12", // RFC 1918 private
  // RFC 6890 IETF protocol assignments, holding 192.0.0.0/29 DS-Lite (RFC 7335), 192.0.0.8 dummy
  // (RFC 7600), .9 PCP anycast (RFC 7723), .10 TURN anycast (RFC 8155), .170 and .171 NAT64 discovery
  // (RFC 8880)
  "192.0.0.0/24",
  "192.0.2.0/24", // RFC 5737 documentation, TEST-NET-1
  "192.31.196.0/24", // RFC 7535 AS112-v4
  "192.52.193.0/24", // RFC 7450 AMT
  "192.88.99.0/24", // RFC 7526 deprecated 6to4 relay anycast; 192.88.99.2/32 6a44 relay (RFC 6751)
  "192.168.0.0/16", // RFC 1918 private
  "192.175.48.0/24", // RFC 7534 direct delegation AS112 service
  "198.18.0.0/15", // RFC 2544 benchmarking
  "198.51.100.0/24", // RFC 5737 documentation, TEST-NET-2
  "203.0.113.0/24", // RFC 5737 documentation, TEST-NET-3
  "224.0.0.0/4", // RFC 5771 multicast (IPv4 address space registry)
  "240.0.0.0/4", // RFC 1112 reserved
  "255.255.255.255/32", // RFC 919 / RFC 8190 limited broadcast
]);

const SPECIAL_IPV6 = cidrs([
  "::/128", // RFC 4291 unspecified
  "::1/128", // RFC 4291 loopback
  "::/96", // RFC 4291 deprecated IPv4-compatible addresses (::127.0.0.1)
  "::ffff:0:0/96", // RFC 4291 IPv4-mapped: reaches the embedded IPv4 directly, refused whole
  "::ffff:0:0:0/96", // RFC 6145 IPv4-translated (SIIT)
  "64:ff9b:1::/48", // RFC 8215 local-use IPv4/IPv6 translation: any IPv4, by a local translator
  "100::/64", // RFC 6666 discard-only
  "100:0:0:1::/64", // RFC 9780 dummy IPv6 prefix
  "2001::/23", // RFC 2928 IETF protocol assignments, which holds all of the following 2001: rows
  "2001::/32", // RFC 4380 Teredo: tunnels to an (obfuscated) IPv4 address
  "2001:1::1/128", // RFC 7723 PCP anycast
  "2001:1::2/128", // RFC 8155 TURN anycast
  "2001:1::3/128", // RFC 9665 DNS-SD service registration protocol anycast
  "2001:2::/48", // RFC 5180 benchmarking
  "2001:3::/32", // RFC 7450 AMT
  "2001:4:112::/48", // RFC 7535 AS112-v6
  "2001:10::/28", // RFC 4843 deprecated ORCHID
  "2001:20::/28", // RFC 7343 ORCHIDv2
  "2001:30::/28", // RFC 9374 drone remote ID entity tags
  "2001:db8::/32", // RFC 3849 documentation
  "2620:4f:8000::/48", // RFC 7534 direct delegation AS112 service
  "3fff::/20", // RFC 9637 documentation
  "5f00::/16", // RFC 9602 SRv6 SIDs
  "fc00::/7", // RFC 4193 unique local, includes AWS metadata fd00:ec2::254
  "fe80::/10", // RFC 4291 link-local
  "fec0::/10", // RFC 3879 deprecated site-local
  "ff00::/8", // RFC 4291 multicast
]);

// Only 2000::/3 is allocated for global unicast (RFC 4291, IANA IPv6 address space); the rest is
// reserved, ULA, link-local or multicast. The two prefixes below are the exceptions.
const GLOBAL_UNICAST_IPV6 = ipaddr.parseCIDR("2000::/3");

// Prefixes that carry an IPv4 address which a translator or relay will then reach: judged by that
// IPv4 address. [prefix, offset of the IPv4 address in the 16 bytes]
const EMBEDDED_IPV4: ReadonlyArray<readonly [Cidr, number]> = [
  [ipaddr.parseCIDR("64:ff9b::/96"), 12], // RFC 6052 well-known NAT64 prefix: the last 32 bits
  [ipaddr.parseCIDR("2002::/16"), 2], // RFC 3056 6to4: bits 16 to 47
];

/** The IPv4 address a NAT64 or 6to4 address stands for, or null. */
function embeddedIpv4(address: ipaddr.IPv6): Address | null {
  const entry = EMBEDDED_IPV4.find(([prefix]) => address.match(prefix));
  return entry ? ipaddr.fromByteArray(address.toByteArray().slice(entry[1], entry[1] + 4)) : null;
}

/** True only for a public unicast address: outside every special-purpose block. */
export function isPublicAddress(address: Address): boolean {
  if (address instanceof ipaddr.IPv4) {
    return address.range() === "unicast" && !SPECIAL_IPV4.some((cidr) => address.match(cidr));
  }
  const v4 = embeddedIpv4(address);
  if (v4) return isPublicAddress(v4);
  return address.match(GLOBAL_UNICAST_IPV6) && address.range() === "unicast" && !SPECIAL_IPV6.some((cidr) => address.match(cidr));
}

/** Every CIDR refused, for tests that walk the table. */
export const SPECIAL_PURPOSE_BLOCKS: readonly string[] = [...SPECIAL_IPV4, ...SPECIAL_IPV6].map(
  ([address, bits]) => `${address.toString()}/${bits}`,
);
