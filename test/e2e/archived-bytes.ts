import { createHash } from "node:crypto";
import { expect } from "vitest";

/**
 * Reads an archived file through the relay's signed `link` and asserts it is what the Kling
 * simulator at `simulatorUrl` served as `file` of `taskId`: the same length and SHA-256.
 */
export async function expectUpstreamBytes(link: string, simulatorUrl: string, taskId: string, file: string): Promise<void> {
  const res = await fetch(link, { signal: AbortSignal.timeout(10_000) });
  expect(res.status).toBe(200);
  const bytes = Buffer.from(await res.arrayBuffer());
  const upstream = (await (await fetch(`${simulatorUrl}/_sim/media/${taskId}/${file}/sha256`)).json()) as {
    sha256: string;
    sizeBytes: number;
  };
  expect(bytes.length).toBe(upstream.sizeBytes);
  expect(createHash("sha256").update(bytes).digest("hex")).toBe(upstream.sha256);
}
