import type { Logger } from '@baton/kit';
import type { Kysely } from 'kysely';
import { logFromIntake } from '../db/audit-log.repository.js';
import { applyEvents, lockProjections } from './apply-events.js';

// Moves received events from the intake into the audit log and folds them into the projections, in batches,
// apart from the consumer's transaction. Per batch it does what would otherwise be done per event: one insert
// into the log, one read of the journeys touched, one write of them, one write of each rollup row touched.
// Log, journeys and rollups change in one transaction, so they always agree; all three trail the consumer by
// one projector cycle (milliseconds when busy, PROJECTOR_IDLE_MS at most when idle).

async function projectBatch(db: Kysely<any>, batchSize: number, wait: boolean): Promise<number> {
  return db.transaction().execute(async (trx) => {
    if (!(await lockProjections(trx, wait))) return 0;
    const { taken, logged } = await logFromIntake(trx, batchSize);
    await applyEvents(trx, logged);
    return taken;
  });
}

/** Logs and folds up to `batchSize` received events; 0 when the intake is empty or another writer holds the lock. */
export const projectOnce = (db: Kysely<any>, batchSize: number): Promise<number> => projectBatch(db, batchSize, false);

/** Projects until the intake is empty, waiting for the lock (tests, the CLI and the bench use it to catch up). */
export async function drainIntake(db: Kysely<any>, batchSize = 1_000): Promise<number> {
  let total = 0;
  for (let applied = await projectBatch(db, batchSize, true); applied > 0; applied = await projectBatch(db, batchSize, true)) {
    total += applied;
  }
  return total;
}

/** A wake-up signal that is not lost when it fires while nobody waits. */
function createWaker(): { wake(): void; wait(ms: number): Promise<void> } {
  let signalled = false;
  let release: (() => void) | undefined;
  return {
    wake() {
      signalled = true;
      release?.();
    },
    async wait(ms) {
      if (!signalled) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, ms);
          release = () => (clearTimeout(timer), resolve());
        });
      }
      release = undefined;
      signalled = false;
    },
  };
}

/** The running projector loop. */
export type Projector = { wake(): void; stop(): Promise<void> };

/** Starts the loop: it runs while there is work, then sleeps until woken (a consumer committed) or `idleMs` passes. */
export function startProjector(opts: { db: Kysely<any>; logger: Logger; batchSize: number; idleMs: number }): Projector {
  const log = opts.logger.child({ component: 'projector' });
  const waker = createWaker();
  let stopped = false;
  const loop = (async () => {
    for (let failures = 0; !stopped; ) {
      try {
        const applied = await projectOnce(opts.db, opts.batchSize);
        failures = 0;
        if (applied >= opts.batchSize) continue;
        await waker.wait(opts.idleMs);
      } catch (err) {
        // The batch rolled back and its events are back in the intake: retry, never skip.
        failures += 1;
        log.error({ err, failures }, 'projection batch failed; retrying');
        await waker.wait(Math.min(10_000, 100 * 2 ** failures));
      }
    }
  })();
  return {
    wake: () => waker.wake(),
    async stop() {
      stopped = true;
      waker.wake();
      await loop;
    },
  };
}
