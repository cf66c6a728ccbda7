import { describe, expect, it } from "vitest";
import { cloudflareOriginError, describeNetworkFailure } from "../../src/lib/network-failure";

describe("describeNetworkFailure: why a fetch threw, in words", () => {
  it.each([
    // workerd: a failed DNS lookup or TLS handshake is an "internal error" (the cause only in its log).
    [
      "http://api.example.invalid/x",
      "internal error; reference = abc123",
      /^could not resolve host api\.example\.invalid \(internal error; reference = abc123\)$/,
    ],
    [
      "https://api.example.com/x",
      "internal error; reference = abc123",
      /^could not resolve host api\.example\.com, or the TLS handshake with it failed \(internal error; reference = abc123\)$/,
    ],
    // workerd: refused, reset, closed, or not HTTP at all.
    [
      "http://127.0.0.1:1/x",
      "Network connection lost.",
      /^connection to 127\.0\.0\.1:1 refused, reset or closed before an answer \(Network connection lost\.\)$/,
    ],
    // Other runtimes' words.
    ["https://h.example/x", "getaddrinfo ENOTFOUND h.example", /^could not resolve host h\.example \(/],
    ["https://h.example/x", "connect ECONNREFUSED 10.0.0.1:443", /^connection refused by h\.example \(/],
    ["https://h.example/x", "read ECONNRESET", /^connection reset by h\.example \(/],
    ["https://h.example/x", "connect ETIMEDOUT", /^connection to h\.example timed out \(/],
    ["https://h.example/x", "unable to verify the first certificate", /^TLS handshake with h\.example failed \(/],
  ])("%s, %j", (url, message, words) => {
    expect(describeNetworkFailure(url, message)).toMatch(words);
  });

  it("keeps a message it cannot read as it is, and names the host only: never the path, query or credentials", () => {
    expect(describeNetworkFailure("https://h.example/x", "something else")).toBe("something else");
    const text = describeNetworkFailure("https://user:SECRET@h.example:8443/tasks?key=SECRET", "Network connection lost.");
    expect(text).toContain("h.example:8443");
    expect(text).not.toContain("SECRET");
    expect(text).not.toContain("/tasks");
  });
});

describe("cloudflareOriginError: Cloudflare's answer for a host it could not reach", () => {
  it("reads a 530's code from its plain or HTML body, and the 52x statuses", () => {
    expect(cloudflareOriginError(530, "error code: 1016")).toMatch(/^could not resolve the host \(Cloudflare 1016/);
    expect(cloudflareOriginError(530, '<span class="code-label">Error</span> <span>1016</span>... errorCode:1016')).toMatch(/1016/);
    expect(cloudflareOriginError(530, "error code: 1099")).toBe("Cloudflare error 1099");
    expect(cloudflareOriginError(521, "")).toMatch(/refused the connection \(Cloudflare 521\)/);
    expect(cloudflareOriginError(525, "<html>")).toMatch(/TLS handshake/);
  });

  it("says nothing of any other answer", () => {
    for (const [status, body] of [
      [500, "error code: 1016"],
      [502, "Bad gateway"],
      [530, "no code here"],
      [404, ""],
    ] as const)
      expect(cloudflareOriginError(status, body)).toBeNull();
  });
});
