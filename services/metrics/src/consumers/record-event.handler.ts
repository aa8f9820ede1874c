import type { LifecycleEvent } from '@baton/contracts';
import type { Kysely } from 'kysely';
import { addToIntake } from '../db/audit-log.repository.js';
import { redactForAudit } from '../domain/redact.js';

// Metrics reacts to every event type the same way at the consumer: take it in. What each type means for a
// lead is decided by the fold (domain/evolve.ts, one case per type with an exhaustiveness check), which the
// projector runs over batches, together with writing the audit log. The per-event transaction is one narrow
// insert next to the inbox row: partitions and replicas consume in parallel without contending on shared
// rollup rows, and the costly writes (indexes of the log, journeys, rollups) are done per batch.

/** What recording an event needs: the consumer's transaction (inbox entry and offset commit ride on it). */
export type RecordDeps = { trx: Kysely<any> };

/** Takes the event in, without personal data, for the projector to log and fold. */
export async function recordEvent(event: LifecycleEvent, deps: RecordDeps): Promise<void> {
  await addToIntake(deps.trx, redactForAudit(event));
}
