import ipaddr from "ipaddr.js";
import { describe, expect, it } from "vitest";
import { checkCallbackUrl } from "../src/domain/callback-url";
import { SPECIAL_PURPOSE_BLOCKS } from "../src/domain/special-ranges";

const strict = { allowInsecure: false };
const insecure = { allowInsecure: true };

const PRIVATE = "points to a private, loopback, link-local or reserved address";

// [url, why it must be refused, expected reason when the exact wording matters]
const refused: ReadonlyArray<readonly [string, string, string?]> = [
  ["http://example.com/hook", "plain http", "must use https"],
  ["ftp://example.com/hook", "ftp scheme", "must use https"],
  ["file:///etc/passwd", "file scheme", "must use https"],
  ["javascript:alert(1)", "javascript scheme", "must use https"],
  ["data:text/plain,hello", "data scheme", "must use https"],
  ["gopher://example.com/", "gopher scheme"],
  ["wss://example.com/", "websocket scheme"],
  ["https://user:pass@example.com/", "username and password", "must not contain credentials"],
  ["https://user@example.com/", "username only", "must not contain credentials"],
  ["https://:pass@example.com/", "password only", "must not contain credentials"],
  ["https://localhost/", "localhost", "must not be localhost"],
  ["https://LOCALHOST./", "localhost, upper case with trailing dot", "must not be localhost"],
  ["https://api.localhost/", "subdomain of localhost", "must not be localhost"],
  ["https://127.0.0.1/", "IPv4 loopback", PRIVATE],
  ["https://127.1/", "short IPv4 loopback"],
  ["https://2130706433/", "decimal IPv4 loopback"],
  ["https://0x7f000001/", "hex IPv4 loopback"],
  ["https://0177.0.0.1/", "octal IPv4 loopback"],
  ["https://127.0.0.1./", "IPv4 loopback with trailing dot"],
  ["https://0/", "zero, canonicalized to 0.0.0.0"],
  ["https://0.0.0.0/", "unspecified IPv4"],
  ["https://10.1.2.3/", "10/8 private", PRIVATE],
  ["https://172.16.0.1/", "172.16/12 private, low end"],
  ["https://172.31.255.255/", "172.16/12 private, high end"],
  ["https://192.168.1.1/", "192.168/16 private"],
  ["https://100.64.0.1/", "CGNAT"],
  ["https://169.254.169.254/latest/meta-data/", "cloud metadata IPv4", PRIVATE],
  ["https://2852039166/", "decimal 169.254.169.254"],
  ["https://0xa9fea9fe/", "hex 169.254.169.254"],
  ["https://0251.0376.0251.0376/", "octal 169.254.169.254"],
  ["https://169.254.43518/", "short 169.254.169.254"],
  ["https://192.0.2.10/", "TEST-NET-1"],
  ["https://198.18.0.1/", "benchmarking"],
  ["https://224.0.0.1/", "multicast"],
  ["https://255.255.255.255/", "broadcast"],
  ["https://[::1]/", "IPv6 loopback", PRIVATE],
  ["https://[0:0:0:0:0:0:0:1]/", "IPv6 loopback, uncompressed"],
  ["https://[::]/", "IPv6 unspecified"],
  ["https://[fe80::1]/", "IPv6 link-local"],
  ["https://[fc00::1]/", "IPv6 unique local"],
  ["https://[fd12:3456::1]/", "IPv6 unique local, fd"],
  ["https://[fd00:ec2::254]/", "AWS IPv6 metadata"],
  ["https://[fec0::1]/", "IPv6 site-local"],
  ["https://[::ffff:127.0.0.1]/", "IPv4-mapped loopback"],
  ["https://[::ffff:169.254.169.254]/", "IPv4-mapped metadata"],
  ["https://[::ffff:7f00:1]/", "IPv4-mapped loopback, hex"],
  ["https://[::ffff:8.8.8.8]/", "IPv4-mapped public address, refused as a whole range"],
  ["https://[::127.0.0.1]/", "IPv4-compatible loopback"],
  ["https://[64:ff9b::10.0.0.1]/", "NAT64 of a private IPv4"],
  ["https://[2002:a9fe:a9fe::1]/", "6to4 of 169.254.169.254"],
  ["https://[ff02::1]/", "IPv6 multicast"],
  ["https://[2001:db8::1]/", "IPv6 documentation"],
  ["https://[100::1]/", "IPv6 discard"],
  ["https://metadata.google.internal/", "GCP metadata host"],
  ["https://METADATA.GOOGLE.INTERNAL./", "GCP metadata host, upper case with trailing dot"],
  ["https://metadata.goog/", "GCP metadata alias"],
  ["https://metadata/", "bare metadata host"],
  ["https://ip-10-0-0-1.ec2.internal/", "any .internal host"],
  [`https://example.com/${"a".repeat(2049 - "https://example.com/".length)}`, "2049 characters", "is longer than 2048 characters"],
  ["not a url", "not a URL"],
  ["/relative/path", "relative URL", "is not an absolute URL"],
  ["", "empty string", "is not an absolute URL"],
  ["https://exa mple.com/", "space in host"],
  ["https://example.com/\nhook", "newline that the parser would strip"],
  ["\thttps://example.com/", "leading tab that the parser would strip"],
  ["https://./", "host that is only a trailing dot"],
];

// [url, expected normalized href]
const accepted: ReadonlyArray<readonly [string, string]> = [
  ["https://example.com/hook", "https://example.com/hook"],
  ["https://app.example.com:8443/hooks/kling?x=1", "https://app.example.com:8443/hooks/kling?x=1"],
  ["https://8.8.8.8/", "https://8.8.8.8/"],
  ["https://[2606:4700:4700::1111]/", "https://[2606:4700:4700::1111]/"],
  ["https://172.32.0.1/", "https://172.32.0.1/"],
  ["https://100.128.0.1/", "https://100.128.0.1/"],
  ["https://192.169.0.1/", "https://192.169.0.1/"],
  ["https://xn--bcher-kva.de/", "https://xn--bcher-kva.de/"],
  ["HTTPS://Example.COM:443/Hook", "https://example.com/Hook"],
  ["https://bücher.de/", "https://xn--bcher-kva.de/"],
  ["https://[64:ff9b::8.8.8.8]/", "https://[64:ff9b::808:808]/"],
  ["https://localhost.example.com/", "https://localhost.example.com/"],
];

// The address wall, block by block: at least one address inside every block of the IANA IPv4
// and IPv6 Special-Purpose Address Registries (plus multicast, the deprecated IPv6 forms and the
// IPv6 space outside 2000::/3), often its first and last address. [host as written, block]
const specialPurpose: ReadonlyArray<readonly [string, string]> = [
  ["0.0.0.0", "0.0.0.0/8 this network (RFC 791), 0.0.0.0/32 this host (RFC 1122)"],
  ["0.1.2.3", "0.0.0.0/8"],
  ["0.255.255.255", "0.0.0.0/8, last"],
  ["10.0.0.0", "10.0.0.0/8 private (RFC 1918), first"],
  ["10.255.255.255", "10.0.0.0/8, last"],
  ["012.1", "10.0.0.1, octal short form"],
  ["100.64.0.0", "100.64.0.0/10 shared address space (RFC 6598), first"],
  ["100.127.255.255", "100.64.0.0/10, last"],
  ["127.0.0.0", "127.0.0.0/8 loopback (RFC 1122), first"],
  ["127.255.255.255", "127.0.0.0/8, last"],
  ["169.254.0.0", "169.254.0.0/16 link-local (RFC 3927), first"],
  ["169.254.255.255", "169.254.0.0/16, last"],
  ["172.16.0.0", "172.16.0.0/12 private (RFC 1918), first"],
  ["0xac1fffff", "172.31.255.255, hex"],
  ["192.0.0.0", "192.0.0.0/24 IETF protocol assignments (RFC 6890), 192.0.0.0/29 DS-Lite (RFC 7335)"],
  ["192.0.0.8", "192.0.0.8/32 IPv4 dummy address (RFC 7600)"],
  ["192.0.0.9", "192.0.0.9/32 PCP anycast (RFC 7723)"],
  ["192.0.0.10", "192.0.0.10/32 TURN anycast (RFC 8155)"],
  ["192.0.0.170", "192.0.0.170/32 NAT64/DNS64 discovery (RFC 8880)"],
  ["192.0.0.171", "192.0.0.171/32 NAT64/DNS64 discovery (RFC 8880)"],
  ["192.0.0.255", "192.0.0.0/24, last"],
  ["3221225482", "192.0.0.10, decimal"],
  ["192.0.2.0", "192.0.2.0/24 TEST-NET-1 (RFC 5737)"],
  ["192.31.196.1", "192.31.196.0/24 AS112-v4 (RFC 7535)"],
  ["192.52.193.1", "192.52.193.0/24 AMT (RFC 7450)"],
  ["192.88.99.1", "192.88.99.0/24 deprecated 6to4 relay anycast (RFC 7526)"],
  ["192.88.99.2", "192.88.99.2/32 6a44 relay anycast (RFC 6751)"],
  ["192.168.0.0", "192.168.0.0/16 private (RFC 1918), first"],
  ["192.168.255.255", "192.168.0.0/16, last"],
  ["192.175.48.1", "192.175.48.0/24 AS112 direct delegation (RFC 7534)"],
  ["198.18.0.0", "198.18.0.0/15 benchmarking (RFC 2544), first"],
  ["198.19.255.255", "198.18.0.0/15, last"],
  ["198.51.100.7", "198.51.100.0/24 TEST-NET-2 (RFC 5737)"],
  ["203.0.113.7", "203.0.113.0/24 TEST-NET-3 (RFC 5737)"],
  ["224.0.0.0", "224.0.0.0/4 multicast (RFC 5771), first"],
  ["239.255.255.255", "224.0.0.0/4, last"],
  ["240.0.0.0", "240.0.0.0/4 reserved (RFC 1112), first"],
  ["255.255.255.254", "240.0.0.0/4, last before broadcast"],
  ["255.255.255.255", "255.255.255.255/32 limited broadcast (RFC 919)"],
  ["[::]", "::/128 unspecified (RFC 4291)"],
  ["[::1]", "::1/128 loopback (RFC 4291)"],
  ["[::2]", "::/96 deprecated IPv4-compatible (RFC 4291)"],
  ["[::8.8.8.8]", "::/96 IPv4-compatible, even of a public address"],
  ["[::ffff:0:0]", "::ffff:0:0/96 IPv4-mapped (RFC 4291), first"],
  ["[::ffff:ffff:ffff]", "::ffff:0:0/96, last"],
  ["[::ffff:0:127.0.0.1]", "::ffff:0:0:0/96 IPv4-translated (RFC 6145) of loopback"],
  ["[::ffff:0:8.8.8.8]", "::ffff:0:0:0/96 IPv4-translated of a public address"],
  ["[64:ff9b::127.0.0.1]", "64:ff9b::/96 NAT64 (RFC 6052) of loopback"],
  ["[64:ff9b::a9fe:a9fe]", "64:ff9b::/96 NAT64 of 169.254.169.254"],
  ["[64:ff9b::]", "64:ff9b::/96 NAT64 of 0.0.0.0"],
  ["[64:ff9b::c0a8:1]", "64:ff9b::/96 NAT64 of 192.168.0.1"],
  ["[64:ff9b:1::7f00:1]", "64:ff9b:1::/48 local-use NAT64 (RFC 8215) of loopback"],
  ["[64:ff9b:1::808:808]", "64:ff9b:1::/48 local-use NAT64, even of a public address"],
  ["[64:ff9b:1:ffff:ffff:ffff:ffff:ffff]", "64:ff9b:1::/48, last"],
  ["[100::]", "100::/64 discard-only (RFC 6666), first"],
  ["[100::ffff:ffff:ffff:ffff]", "100::/64, last"],
  ["[100:0:0:1::1]", "100:0:0:1::/64 dummy IPv6 prefix (RFC 9780)"],
  ["[2001::]", "2001::/23 IETF protocol assignments (RFC 2928), 2001::/32 Teredo (RFC 4380)"],
  ["[2001::1]", "2001::/32 Teredo"],
  ["[2001:0:53aa:64c::80ff:fffe]", "2001::/32 Teredo, a real-looking address"],
  ["[2001:0:ffff:ffff:ffff:ffff:ffff:ffff]", "2001::/32 Teredo, last"],
  ["[2001:1::1]", "2001:1::1/128 PCP anycast (RFC 7723)"],
  ["[2001:1::2]", "2001:1::2/128 TURN anycast (RFC 8155)"],
  ["[2001:1::3]", "2001:1::3/128 DNS-SD SRP anycast (RFC 9665)"],
  ["[2001:2::1]", "2001:2::/48 benchmarking (RFC 5180)"],
  ["[2001:3::1]", "2001:3::/32 AMT (RFC 7450)"],
  ["[2001:4:112::1]", "2001:4:112::/48 AS112-v6 (RFC 7535)"],
  ["[2001:10::1]", "2001:10::/28 deprecated ORCHID (RFC 4843)"],
  ["[2001:1f:ffff::1]", "2001:10::/28, near the end"],
  ["[2001:20::1]", "2001:20::/28 ORCHIDv2 (RFC 7343)"],
  ["[2001:30::1]", "2001:30::/28 drone remote ID DETs (RFC 9374)"],
  ["[2001:1ff:ffff:ffff:ffff:ffff:ffff:ffff]", "2001::/23, last"],
  ["[2001:db8::1]", "2001:db8::/32 documentation (RFC 3849)"],
  ["[2001:db8:ffff:ffff:ffff:ffff:ffff:ffff]", "2001:db8::/32, last"],
  ["[2002::1]", "2002::/16 6to4 (RFC 3056) of 0.0.0.0"],
  ["[2002:7f00:1::1]", "2002::/16 6to4 of loopback"],
  ["[2002:a00:1::1]", "2002::/16 6to4 of 10.0.0.1"],
  ["[2002:c000:20a::1]", "2002::/16 6to4 of 192.0.2.10"],
  ["[2620:4f:8000::1]", "2620:4f:8000::/48 AS112 direct delegation (RFC 7534)"],
  ["[3fff::1]", "3fff::/20 documentation (RFC 9637), first"],
  ["[3fff:fff:ffff:ffff:ffff:ffff:ffff:ffff]", "3fff::/20, last"],
  ["[5f00::1]", "5f00::/16 SRv6 SIDs (RFC 9602)"],
  ["[fc00::]", "fc00::/7 unique local (RFC 4193), first"],
  ["[fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]", "fc00::/7, last"],
  ["[fe80::]", "fe80::/10 link-local (RFC 4291), first"],
  ["[febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff]", "fe80::/10, last"],
  ["[fec0::1]", "fec0::/10 deprecated site-local (RFC 3879)"],
  ["[ff00::]", "ff00::/8 multicast (RFC 4291), first"],
  ["[ff0e::1]", "ff00::/8, global scope"],
  ["[1::1]", "outside 2000::/3 global unicast (RFC 4291): reserved by the IETF"],
  ["[4000::1]", "outside 2000::/3"],
  ["[e000::1]", "outside 2000::/3"],
];

// Just outside some of the blocks above, and ordinary public addresses: accepted. [host, href host]
const publicAddresses: ReadonlyArray<readonly [string, string]> = [
  ["8.8.8.8", "8.8.8.8"],
  ["1.1.1.1", "1.1.1.1"],
  ["16843009", "1.1.1.1"],
  ["1.0.0.1", "1.0.0.1"],
  ["9.255.255.255", "9.255.255.255"],
  ["11.0.0.0", "11.0.0.0"],
  ["100.63.255.255", "100.63.255.255"],
  ["100.128.0.0", "100.128.0.0"],
  ["126.255.255.255", "126.255.255.255"],
  ["128.0.0.0", "128.0.0.0"],
  ["169.253.255.255", "169.253.255.255"],
  ["169.255.0.0", "169.255.0.0"],
  ["172.15.255.255", "172.15.255.255"],
  ["172.32.0.0", "172.32.0.0"],
  ["192.0.1.1", "192.0.1.1"],
  ["192.167.255.255", "192.167.255.255"],
  ["198.17.255.255", "198.17.255.255"],
  ["198.20.0.0", "198.20.0.0"],
  ["223.255.255.255", "223.255.255.255"],
  ["[2606:4700:4700::1111]", "[2606:4700:4700::1111]"],
  ["[2001:4860:4860::8888]", "[2001:4860:4860::8888]"],
  ["[2001:200::1]", "[2001:200::1]"],
  ["[2001:db9::1]", "[2001:db9::1]"],
  ["[2003::1]", "[2003::1]"],
  ["[3fff:1000::1]", "[3fff:1000::1]"],
  ["[64:ff9b::1.1.1.1]", "[64:ff9b::101:101]"],
  ["[2002:808:808::1]", "[2002:808:808::1]"],
];

// Names: only a name under an ICANN public suffix, with a registrable domain, reaches the network.
const refusedNames: ReadonlyArray<readonly [string, string]> = [
  ["https://127.0.0.1../h", "loopback with two trailing dots"],
  ["https://localhost../h", "localhost with two trailing dots"],
  ["https://metadata.google.internal../h", "metadata host with two trailing dots"],
  ["https://example.com../h", "public name with two trailing dots"],
  ["https://example.com.../h", "public name with three trailing dots"],
  ["https://kubernetes.default.svc/h", "Kubernetes service name"],
  ["https://kubernetes.default.svc.cluster.local/h", "Kubernetes cluster name"],
  ["https://printer.local/h", ".local mDNS (RFC 6762)"],
  ["https://nas.lan/h", ".lan"],
  ["https://router.home.arpa/h", ".home.arpa (RFC 8375)"],
  ["https://ipv4only.arpa/h", "ipv4only.arpa (RFC 8880)"],
  ["https://1.0.0.127.in-addr.arpa/h", "reverse DNS zone"],
  ["https://foo.arpa/h", "anything under .arpa"],
  ["https://app.test/h", ".test (RFC 6761)"],
  ["https://app.invalid/h", ".invalid (RFC 6761)"],
  ["https://app.example/h", ".example (RFC 6761)"],
  ["https://xn--bcher-kva.example/h", "IDN under .example"],
  ["https://expyuzz4wqqyqhjn.onion/h", ".onion (RFC 7686)"],
  ["https://app.alt/h", ".alt (RFC 9476)"],
  ["https://host.docker.internal/h", ".internal"],
  ["https://erp.corp/h", ".corp"],
  ["https://portal.intranet/h", ".intranet"],
  ["https://fileserver/h", "single label"],
  ["https://com/h", "a bare top-level domain"],
  ["https://co.uk/h", "a bare public suffix"],
  ["https://a..b.com/h", "an empty label"],
  ["https://api.localhost./h", "localhost subdomain with a trailing dot"],
];

const acceptedNames: ReadonlyArray<readonly [string, string]> = [
  ["https://example.com/h", "https://example.com/h"],
  ["https://example.com./h", "https://example.com./h"],
  ["https://hooks.example.com/h", "https://hooks.example.com/h"],
  ["https://example.org/h", "https://example.org/h"],
  ["https://app.example.co.uk/h", "https://app.example.co.uk/h"],
  ["https://xn--80ak6aa92e.xn--p1ai/h", "https://xn--80ak6aa92e.xn--p1ai/h"],
  ["https://пример.рф/h", "https://xn--e1afmkfd.xn--p1ai/h"],
  ["https://münchen.de/h", "https://xn--mnchen-3ya.de/h"],
  ["https://relay.example.workers.dev/h", "https://relay.example.workers.dev/h"],
  ["https://someone.github.io/h", "https://someone.github.io/h"],
  ["https://metadata.example.com/h", "https://metadata.example.com/h"],
];

describe("checkCallbackUrl", () => {
  it("has a 2049-character case in the refused table", () => {
    expect(refused.some(([url]) => url.length === 2049)).toBe(true);
  });

  const refusedCases = refused.map(([url, why, reason]) => ({ url, why, reason }));
  it.each(refusedCases)("refuses $url ($why)", ({ url, reason }) => {
    const result = checkCallbackUrl(url, strict);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(typeof result.reason).toBe("string");
    expect(result.reason.length).toBeGreaterThan(0);
    if (reason !== undefined) expect(result.reason).toBe(reason);
  });

  it.each(accepted)("accepts %s as %s", (url, href) => {
    expect(checkCallbackUrl(url, strict)).toEqual({ ok: true, url: href });
  });

  it("accepts a URL of exactly 2048 characters", () => {
    const url = `https://example.com/${"a".repeat(2048 - "https://example.com/".length)}`;
    expect(url).toHaveLength(2048);
    expect(checkCallbackUrl(url, strict)).toEqual({ ok: true, url });
  });

  describe("the address wall", () => {
    it.each(specialPurpose)("refuses %s (%s)", (host) => {
      expect(checkCallbackUrl(`https://${host}/h`, strict)).toEqual({ ok: false, reason: PRIVATE });
    });

    // The implementation's own table, walked end to end: the first and last address of every block.
    const bounds = SPECIAL_PURPOSE_BLOCKS.flatMap((block) => {
      const first = ipaddr.IPv4.isValidCIDR(block) ? ipaddr.IPv4.networkAddressFromCIDR(block) : ipaddr.IPv6.networkAddressFromCIDR(block);
      const last = ipaddr.IPv4.isValidCIDR(block)
        ? ipaddr.IPv4.broadcastAddressFromCIDR(block)
        : ipaddr.IPv6.broadcastAddressFromCIDR(block);
      return [first, last].map((a) => [block, a.kind() === "ipv6" ? `[${a.toString()}]` : a.toString()] as const);
    });
    it.each(bounds)("refuses the bounds of %s: %s", (_block, host) => {
      expect(checkCallbackUrl(`https://${host}/h`, strict)).toEqual({ ok: false, reason: PRIVATE });
    });

    it.each(publicAddresses)("accepts the public address %s", (host, href) => {
      expect(checkCallbackUrl(`https://${host}/h`, strict)).toEqual({ ok: true, url: `https://${href}/h` });
    });

    it.each(refusedNames)("refuses %s (%s)", (url) => {
      const result = checkCallbackUrl(url, strict);
      expect(result.ok).toBe(false);
    });

    it.each(acceptedNames)("accepts %s as %s", (url, href) => {
      expect(checkCallbackUrl(url, strict)).toEqual({ ok: true, url: href });
    });

    it.each(["https://example.com:0/h", "https://example.com:00/h", "https://8.8.8.8:0/h"])("refuses port 0: %s", (url) => {
      expect(checkCallbackUrl(url, strict)).toEqual({ ok: false, reason: "must not use port 0" });
    });

    it.each([
      ["https://example.com:1/h", "https://example.com:1/h"],
      ["https://example.com:65535/h", "https://example.com:65535/h"],
      ["https://example.com:443/h", "https://example.com/h"],
      ["https://example.com:80/h", "https://example.com:80/h"],
    ])("accepts the explicit port of %s", (url, href) => {
      expect(checkCallbackUrl(url, strict)).toEqual({ ok: true, url: href });
    });
  });

  describe("the length limit, on the stored (normalised) URL", () => {
    it("refuses 2,028 × é: 2,048 characters as sent, 12,188 once percent-encoded", () => {
      const raw = `https://example.com/${"é".repeat(2028)}`;
      expect(raw).toHaveLength(2048);
      expect(new URL(raw).href).toHaveLength(12188);
      expect(checkCallbackUrl(raw, strict)).toEqual({ ok: false, reason: "is longer than 2048 characters" });
    });

    it("accepts a URL that is exactly 2048 characters once percent-encoded", () => {
      const raw = `https://example.com/${"é".repeat(338)}`;
      const href = new URL(raw).href;
      expect(href).toHaveLength(2048);
      expect(checkCallbackUrl(raw, strict)).toEqual({ ok: true, url: href });
      expect(checkCallbackUrl(`${raw}a`, strict)).toEqual({ ok: false, reason: "is longer than 2048 characters" });
    });

    it("accepts a longer spelling that normalises to 2048 characters", () => {
      const stored = `https://example.com/${"a".repeat(2048 - "https://example.com/".length)}`;
      const raw = stored.replace("https://example.com/", "HTTPS://EXAMPLE.COM:443/");
      expect(raw.length).toBeGreaterThan(2048);
      expect(checkCallbackUrl(raw, strict)).toEqual({ ok: true, url: stored });
    });
  });

  describe("the reported examples", () => {
    it.each([
      ["https://[64:ff9b:1::7f00:1]/h", "https://[64:ff9b:1::7f00:1]/h"],
      ["https://[2001:0:53aa:64c::80ff:fffe]/h", "https://[2001:0:53aa:64c::80ff:fffe]/h"],
      ["https://[2001::1]/h", "https://[2001::1]/h"],
      ["https://[::ffff:0:127.0.0.1]/h", "https://[::ffff:0:127.0.0.1]/h"],
      ["https://127.0.0.1../h", "https://127.0.0.1../h"],
      ["https://localhost../h", "https://localhost../h"],
      ["https://metadata.google.internal../h", "https://metadata.google.internal../h"],
      ["https://kubernetes.default.svc/h", "https://kubernetes.default.svc/h"],
      ["https://example.com:0/h", "https://example.com:0/h"],
      ["https://example.com/ + 2,028 × é", `https://example.com/${"é".repeat(2028)}`],
    ])("refuses %s, with or without allowInsecure", (_name, url) => {
      expect(checkCallbackUrl(url, strict).ok).toBe(false);
      expect(checkCallbackUrl(url, insecure).ok).toBe(false);
    });
  });

  it("never repeats the field name in a reason (the error envelope prefixes it)", () => {
    for (const [url] of [...refused, ...refusedNames]) {
      const result = checkCallbackUrl(url, strict);
      if (!result.ok) expect(result.reason).not.toMatch(/callback_url/);
    }
  });

  describe("with allowInsecure", () => {
    it.each([
      ["http://127.0.0.1:8787/x", "http://127.0.0.1:8787/x"],
      ["http://localhost:9000/", "http://localhost:9000/"],
      ["http://[::1]:3000/", "http://[::1]:3000/"],
      ["http://api.localhost/", "http://api.localhost/"],
      ["https://127.0.0.1/", "https://127.0.0.1/"],
      ["http://example.com/hook", "http://example.com/hook"],
      ["http://localhost./x", "http://localhost./x"],
      ["http://127.0.0.2:8787/x", "http://127.0.0.2:8787/x"],
    ] as const)("accepts %s", (url, href) => {
      expect(checkCallbackUrl(url, insecure)).toEqual({ ok: true, url: href });
    });

    it.each([
      "http://10.0.0.1/",
      "http://169.254.169.254/",
      "http://192.168.0.1/",
      "http://[fe80::1]/",
      "http://[::]/",
      "http://0.0.0.0/",
      "http://metadata.google.internal/",
      "ftp://127.0.0.1/",
      "http://user:pass@localhost/",
      "http://[::ffff:127.0.0.1]/",
      "http://[64:ff9b::127.0.0.1]/",
      "http://[2002:7f00:1::1]/",
      "http://kubernetes.default.svc/",
      "http://host.docker.internal/",
      "http://printer.local/",
      "http://localhost:0/",
    ])("still refuses %s", (url) => {
      const result = checkCallbackUrl(url, insecure);
      expect(result.ok).toBe(false);
      if (result.ok) return;
      expect(result.reason.length).toBeGreaterThan(0);
    });
  });
});
