import type { TestProject } from "vitest/node";
import { startFakeNetwork } from "./fake-network";

export const UPSTREAM_KEY = "test-cometapi-key";

/** Starts the loopback fake network once for the run; tests reach it through `FAKE_URL`. */
export default async function setup(project: TestProject) {
  const fake = await startFakeNetwork({ upstreamKey: UPSTREAM_KEY });
  project.provide("fakeUrl", fake.url);
  return () => fake.close();
}

declare module "vitest" {
  export interface ProvidedContext {
    fakeUrl: string;
  }
}
