import { LIFECYCLE_TOPIC, type LifecycleEvent } from '@baton/contracts';
import { sql, type Kysely, type Transaction } from 'kysely';

/** The outbox row as the relay reads it. */
export interface OutboxRow {
  id: string;
  event_id: string;
  topic: string;
  message_key: string;
  event_type: string;
  payload: LifecycleEvent;
}

/**
 * Writes events to the outbox inside the caller's transaction, so they are published if and only if
 * the state change they describe commits. Keyed by subject (the lead id) to keep a lead on one partition.
 */
export async function enqueue(
  trx: Transaction<any> | Kysely<any>,
  events: readonly LifecycleEvent[],
  topic: string = LIFECYCLE_TOPIC,
): Promise<void> {
  if (events.length === 0) return;
  const rows = events.map(
    (e) => sql`(${e.id}::uuid, ${topic}, ${e.subject}, ${e.type}, ${JSON.stringify(e)}::jsonb)`,
  );
  await sql`
    INSERT INTO outbox (event_id, topic, message_key, event_type, payload)
    VALUES ${sql.join(rows)}`.execute(trx);
}
