import type { LifecycleEvent } from '@baton/contracts';
import { sql, type Kysely } from 'kysely';
import { journeyKey, loadJourneys, saveJourneys, type LeadKey } from '../db/journeys.repository.js';
import { applyRollupDeltas } from '../db/rollups.repository.js';
import { evolve } from '../domain/evolve.js';
import { emptyJourney, type Journey } from '../domain/journey.js';
import { toRow, type JourneyRow } from '../domain/journey-row.js';
import { RollupDeltas } from '../domain/rollup-delta.js';

// The one write path of the projections, used by the live projector and by rebuilds alike: fold a batch of
// events into the journeys they touch, then move the rollups by exactly the difference between each journey's
// old and new row. Because the fold is a join, applying an event that is already folded in changes nothing,
// so a batch may safely repeat events (a rebuild racing the live projector, a retried transaction).

// Two-int advisory lock namespace ('bmpr') plus the schema: one projection writer per schema at a time, so
// journeys are read-modified-written without lost updates and rollup rows never deadlock.
const LOCK_NAMESPACE = 0x626d7072;

/** Takes the projection writer lock for the rest of the transaction; false if another writer holds it and `wait` is false. */
export async function lockProjections(trx: Kysely<any>, wait: boolean): Promise<boolean> {
  if (wait) {
    await sql`SELECT pg_advisory_xact_lock(${LOCK_NAMESPACE}, hashtext(current_schema()))`.execute(trx);
    return true;
  }
  const { rows } = await sql<{ locked: boolean }>`
    SELECT pg_try_advisory_xact_lock(${LOCK_NAMESPACE}, hashtext(current_schema())) AS locked`.execute(trx);
  return rows[0]?.locked === true;
}

function byLead(events: readonly LifecycleEvent[]): Map<string, { key: LeadKey; events: LifecycleEvent[] }> {
  const groups = new Map<string, { key: LeadKey; events: LifecycleEvent[] }>();
  for (const event of events) {
    const id = journeyKey(event.tenantid, event.subject);
    const group = groups.get(id) ?? { key: { tenantId: event.tenantid, leadId: event.subject.toLowerCase() }, events: [] };
    group.events.push(event);
    groups.set(id, group);
  }
  return groups;
}

/** Folds events into the journeys and rollups, in the caller's transaction (which must hold the lock). */
export async function applyEvents(trx: Kysely<any>, events: readonly LifecycleEvent[]): Promise<{ journeys: number }> {
  const groups = byLead(events);
  const stored = await loadJourneys(trx, [...groups.values()].map((g) => g.key));
  const changed: JourneyRow[] = [];
  const deltas = new RollupDeltas();
  for (const [id, { key, events: leadEvents }] of groups) {
    const before: Journey | undefined = stored.get(id);
    const after = leadEvents.reduce(evolve, before ?? emptyJourney(key.tenantId, key.leadId));
    // evolve hands back the same object when an event adds nothing: redeliveries cost no write.
    if (after === before) continue;
    const row = toRow(after);
    changed.push(row);
    deltas.change(before === undefined ? null : toRow(before), row);
  }
  await saveJourneys(trx, changed);
  await applyRollupDeltas(trx, deltas.rows());
  return { journeys: changed.length };
}
