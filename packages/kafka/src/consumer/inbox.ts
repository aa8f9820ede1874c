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
