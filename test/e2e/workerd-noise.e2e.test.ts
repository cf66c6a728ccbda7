/**
 * The filter that keeps workerd's expected connection-reset noise out of `npm test`
 * (test/harness/workerd-noise.ts) hides that noise and nothing else. A Node-side harness check:
 * it runs with the Node suites, not inside workerd.
 */
import { describe, expect, it } from "vitest";
import { isWorkerdNoise } from "../harness/workerd-noise";

const STACK =
  "stack: /work/main/node_modules/@cloudflare/workerd-linux-64/bin/workerd@26b6840 /work/main/node_modules/@cloudflare/workerd-linux-64/bin/workerd@3739630";

describe("the workerd noise filter", () => {
  it("hides workerd's messages about a loopback connection reset or refused, stack included", () => {
    expect(isWorkerdNoise("uncaught exception; source = Uncaught (in promise); stack = Error: Network connection lost.\n")).toBe(true);
    expect(
      isWorkerdNoise(
        `uncaught exception; exception = workerd/jsg/value.h:1511: disconnected: jsg.Error: Network connection lost.\n${STACK}\n`,
      ),
    ).toBe(true);
    expect(isWorkerdNoise(`exception = rust/worker/ffi.rs:110: disconnected: Connection refused (os error 111)\n${STACK}\n`)).toBe(true);
    expect(isWorkerdNoise(`exception = rust/worker/ffi.rs:110: disconnected: client error (SendRequest)\n${STACK}\n`)).toBe(true);
    expect(isWorkerdNoise(`exception = kj/async-io.c++:2008: disconnected: fixed-length pipe ended prematurely\n${STACK}\n`)).toBe(true);
  });

  it("hides a host that does not resolve and TLS spoken to plain HTTP: workerd's Rust line, then its 'internal error'", () => {
    const ref = "u5k0unjvbjhpdv4viilaidn1";
    const internal = `${STACK}; sentryErrorContext = jsgInternalError; wdErrId = ${ref}`;
    for (const cause of [
      "failed to lookup address information: Name or service not known",
      "TLS handshake failed: received corrupt message of type InvalidContentType",
    ])
      expect(isWorkerdNoise(`e = rust/worker/ffi.rs:110: failed: ${cause}\n${internal}\n`)).toBe(true);
    expect(isWorkerdNoise(`uncaught exception; source = Uncaught (in promise); stack = Error: internal error; reference = ${ref}\n`)).toBe(
      true,
    );
    expect(
      isWorkerdNoise(
        `uncaught exception; exception = workerd/jsg/value.h:1511: failed: jsg.Error: internal error; reference = ${ref}\n${STACK}\n`,
      ),
    ).toBe(true);
    expect(isWorkerdNoise("e = rust/worker/ffi.rs:110: failed: TLS handshake failed: invalid peer certificate\n")).toBe(false);
  });

  it("shows every other line, and a message that mixes noise with anything else", () => {
    expect(isWorkerdNoise("uncaught exception; source = Uncaught (in promise); stack = TypeError: x is undefined\n")).toBe(false);
    expect(isWorkerdNoise("exception = rust/worker/ffi.rs:110: disconnected: TLS handshake failed\n")).toBe(false);
    expect(
      isWorkerdNoise("exception = kj/async-io.c++:2008: disconnected: worker_do_not_log; Request failed due to internal error\n"),
    ).toBe(false);
    expect(isWorkerdNoise(`${STACK}\n`)).toBe(false);
    expect(
      isWorkerdNoise(
        "exception = rust/worker/ffi.rs:110: disconnected: Connection refused (os error 111)\nError: D1_ERROR: no such table\n",
      ),
    ).toBe(false);
    expect(isWorkerdNoise(" ✓ test/tick-upstream-errors.test.ts (18 tests) 2196ms\n")).toBe(false);
    expect(isWorkerdNoise("\n")).toBe(false);
  });
});
