import type { LifecycleEvent } from '@baton/contracts';
import { sql, type Transaction } from 'kysely';

export interface InboxEntry {
  consumer: string;
  event: LifecycleEvent;
  topic: string;
  partition: number;
  offset: string;
}

/** Records the event as processed by `consumer`; returns false when it already was (a redelivery). */
export async function recordInInbox(trx: Transaction<any>, entry: InboxEntry): Promise<boolean> {
  const { rows } = await sql`
    INSERT INTO inbox (consumer, event_id, event_type, topic, kafka_partition, kafka_offset)
    VALUES (${entry.consumer}, ${entry.event.id}::uuid, ${entry.event.type}, ${entry.topic},
            ${entry.partition}, ${entry.offset}::bigint)
    ON CONFLICT DO NOTHING
    RETURNING event_id`.execute(trx);
  return rows.length === 1;
}

/**
 * Records many events in one statement (one round trip per chunk); returns the ids that were new.
 * An id repeated inside the batch is inserted once and returned once.
 */
export async function recordManyInInbox(trx: Transaction<any>, entries: readonly InboxEntry[]): Promise<Set<string>> {
  if (entries.length === 0) return new Set();
  const values = entries.map(
    (e) => sql`(${e.consumer}, ${e.event.id}::uuid, ${e.event.type}, ${e.topic}, ${e.partition}, ${e.offset}::bigint)`,
  );
  const { rows } = await sql<{ event_id: string }>`
    INSERT INTO inbox (consumer, event_id, event_type, topic, kafka_partition, kafka_offset)
    VALUES ${sql.join(values)}
    ON CONFLICT DO NOTHING
    RETURNING event_id`.execute(trx);
  return new Set(rows.map((r) => r.event_id));
}
