// Jest globalTeardown: stops the containers global-setup started. Native infrastructure is left running.
import type { BatonTestGlobals } from './global-setup.js';

/** Stops the test containers started by global-setup, if any. */
export default async function globalTeardown(): Promise<void> {
  const globals = globalThis as BatonTestGlobals;
  const containers = globals.batonTestContainers ?? [];
  globals.batonTestContainers = undefined;
  await Promise.all(containers.map((container) => container.stop()));
}
