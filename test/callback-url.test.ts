import { describe, it, expect } from "vitest";
import { checkCallbackUrl } from "../src/domain/callback-url";

const strict = { allowInsecure: false };
const insecure = { allowInsecure: true };

const PRIVATE = "callback_url points to a private, loopback, link-local or reserved address";

// [url, why it must be refused, expected reason when the exact wording matters]
const refused: ReadonlyArray<readonly [string, string, string?]> = [
  ["http://example.com/hook", "plain http", "callback_url must use https"],
  ["ftp://example.com/hook", "ftp scheme", "callback_url must use https"],
  ["file:///etc/passwd", "file scheme", "callback_url must use https"],
  ["javascript:alert(1)", "javascript scheme", "callback_url must use https"],
  ["data:text/plain,hello", "data scheme", "callback_url must use https"],
  ["gopher://example.com/", "gopher scheme"],
  ["wss://example.com/", "websocket scheme"],
  ["https://user:pass@example.com/", "username and password", "callback_url must not contain credentials"],
  ["https://user@example.com/", "username only", "callback_url must not contain credentials"],
  ["https://:pass@example.com/", "password only", "callback_url must not contain credentials"],
  ["https://localhost/", "localhost", "callback_url must not be localhost"],
  ["https://LOCALHOST./", "localhost, upper case with trailing dot", "callback_url must not be localhost"],
  ["https://api.localhost/", "subdomain of localhost", "callback_url must not be localhost"],
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
  [`https://example.com/${"a".repeat(2049 - "https://example.com/".length)}`, "2049 characters", "callback_url is longer than 2048 characters"],
  ["not a url", "not a URL"],
  ["/relative/path", "relative URL", "callback_url is not an absolute URL"],
  ["", "empty string", "callback_url is not an absolute URL"],
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
  ["https://xn--bcher-kva.example/", "https://xn--bcher-kva.example/"],
  ["HTTPS://Example.COM:443/Hook", "https://example.com/Hook"],
  ["https://bücher.example/", "https://xn--bcher-kva.example/"],
  ["https://[64:ff9b::8.8.8.8]/", "https://[64:ff9b::808:808]/"],
  ["https://localhost.example.com/", "https://localhost.example.com/"],
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

  describe("with allowInsecure", () => {
    it.each([
      ["http://127.0.0.1:8787/x", "http://127.0.0.1:8787/x"],
      ["http://localhost:9000/", "http://localhost:9000/"],
      ["http://[::1]:3000/", "http://[::1]:3000/"],
      ["http://api.localhost/", "http://api.localhost/"],
      ["https://127.0.0.1/", "https://127.0.0.1/"],
      ["http://example.com/hook", "http://example.com/hook"],
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
    ])("still refuses %s", (url) => {
      const result = checkCallbackUrl(url, insecure);
      expect(result.ok).toBe(false);
      if (result.ok) return;
      expect(result.reason.length).toBeGreaterThan(0);
    });
  });
});
