import type { LifecycleEvent } from '@baton/contracts';
import type { Kysely } from 'kysely';
import { addToIntake } from '../db/audit-log.repository.js';
import { redactForAudit } from '../domain/redact.js';

// Metrics reacts to every event type the same way at the consumer: take it in. What each type means for a
// lead is decided by the fold (domain/evolve.ts, one case per type with an exhaustiveness check), which the
// projector runs over batches, together with writing the audit log. The consumer's transaction is one narrow
// multi-row insert next to the inbox rows: partitions and replicas consume in parallel without contending on
// shared rollup rows, and the costly writes (indexes of the log, journeys, rollups) are done per batch.

/** Takes events in for the projector, one insert per consumer transaction instead of one per event. */
export type IntakeRecorder = {
  /** The consumer's handler: keeps the event, without personal data, until its transaction is about to commit. */
  handle(event: LifecycleEvent, trx: Kysely<any>): Promise<void>;
  /** The consumer's beforeCommit hook: writes what this transaction's handler calls kept, in one statement. */
  beforeCommit(trx: Kysely<any>): Promise<void>;
};

/** A recorder for one consumer; replays of failed chunks run concurrently, so what is pending is kept per transaction. */
export function createIntakeRecorder(): IntakeRecorder {
  // Weak: a transaction that fails before its hook runs (it rolls back, and is replayed) leaves nothing behind.
  const pending = new WeakMap<object, LifecycleEvent[]>();
  return {
    async handle(event, trx) {
      const events = pending.get(trx);
      if (events === undefined) pending.set(trx, [redactForAudit(event)]);
      else events.push(redactForAudit(event));
    },
    async beforeCommit(trx) {
      const events = pending.get(trx);
      pending.delete(trx);
      if (events !== undefined) await addToIntake(trx, events);
    },
  };
}
