/** The set-up the simulator's own end-to-end files share: one loopback network for the file. */
import { afterAll, beforeAll } from "vitest";
import { type LoopbackNetwork, startLoopbackNetwork } from "../../tools/loopback-network";

/**
 * Starts a loopback network (the Kling simulator and receivers) before the file's tests and closes
 * it after them. Read `network` inside tests and hooks: it exists once the file's `beforeAll` ran.
 */
export function loopbackNetworkForFile(options: Parameters<typeof startLoopbackNetwork>[0]): { readonly network: LoopbackNetwork } {
  let network: LoopbackNetwork | undefined;
  beforeAll(async () => {
    network = await startLoopbackNetwork(options);
  });
  afterAll(async () => {
    await network?.close();
  });
  return {
    get network() {
      if (!network) throw new Error("the loopback network is not started yet (read it inside a test or hook)");
      return network;
    },
  };
}

let sequence = 0;
/** A name no other test of this process uses. */
export const unique = (prefix: string) => `${prefix}-${++sequence}-${Date.now()}`;
