import type { LifecycleEvent } from '@baton/contracts';
import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

/** One routing event of a lead as recorded. */
export type HistoryEntry = { eventId: string; type: string; at: Date; data: Record<string, unknown> };

/** Records the events routing emits for leads, in the transaction that emits them. */
export async function recordHistory(trx: Kysely<Database>, events: readonly LifecycleEvent[]): Promise<void> {
  if (events.length === 0) return;
  await trx
    .insertInto('routing_history')
    .values(events.map((event) => ({ lead_id: event.subject, tenant_id: event.tenantid, event_id: event.id, type: event.type, data: JSON.stringify(event.data), at: event.time })))
    .execute();
}

/** A lead's routing events, in the order they happened. */
export async function leadHistory(db: Kysely<Database>, leadId: string): Promise<HistoryEntry[]> {
  const rows = await db.selectFrom('routing_history').select(['event_id', 'type', 'at', 'data']).where('lead_id', '=', leadId).orderBy('id').execute();
  return rows.map((row) => ({ eventId: row.event_id, type: row.type, at: row.at, data: row.data }));
}
