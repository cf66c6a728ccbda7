import type { TestProject } from "vitest/node";
import { startLoopbackNetwork } from "../../tools/loopback-network";

export const UPSTREAM_KEY = "test-cometapi-key";

/** Starts the loopback network once for the run; tests reach it through `FAKE_URL`. */
export default async function setup(project: TestProject) {
  const network = await startLoopbackNetwork({ apiKey: UPSTREAM_KEY });
  project.provide("fakeUrl", network.url);
  return () => network.close();
}

declare module "vitest" {
  export interface ProvidedContext {
    fakeUrl: string;
  }
}
