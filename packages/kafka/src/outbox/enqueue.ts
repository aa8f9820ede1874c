import { LIFECYCLE_TOPIC, type LifecycleEvent } from '@baton/contracts';
import { sql, type Kysely, type Transaction } from 'kysely';
import { OUTBOX_WRITE_HINT } from './signal.js';

/** The outbox row as the relay reads it. */
export interface OutboxRow {
  id: string;
  event_id: string;
  topic: string;
  message_key: string;
  event_type: string;
  /** The event's JSON, as Postgres prints the stored jsonb. */
  payload: string;
}

/**
 * The largest event the outbox accepts. Kafka refuses record batches over ~1 MB by default, and a row the
 * broker can never take would stop the relay for every event behind it, so it is refused at the door.
 */
export const MAX_EVENT_BYTES = 512 * 1024;

/** Advisory-lock class of outbox keys (the two-int form keeps it apart from other advisory locks). */
const OUTBOX_KEY_LOCK_CLASS = 7_462_001;

/** Thrown by enqueue for an event larger than MAX_EVENT_BYTES; nothing of the transaction should commit. */
export class EventTooLargeError extends Error {
  readonly code = 'event_too_large';
  constructor(readonly eventType: string, readonly bytes: number) {
    super(`${eventType} event is ${bytes} bytes; the limit is ${MAX_EVENT_BYTES}`);
    this.name = 'EventTooLargeError';
  }
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
  const rows = events.map((e) => {
    const json = JSON.stringify(e);
    const bytes = Buffer.byteLength(json);
    if (bytes > MAX_EVENT_BYTES) throw new EventTooLargeError(e.type, bytes);
    return sql`(${e.id}::uuid, ${topic}, ${e.subject}, ${e.type}, ${json}::jsonb)`;
  });
  // Outbox ids come from a sequence at insert time, not at commit. Holding a per-key lock from here to the
  // commit makes two transactions writing for one lead commit in id order, which the relay publishes in.
  // One round trip: the locks are an InitPlan of the INSERT's filter, so Postgres takes them all (sorted,
  // so writers of several leads cannot deadlock) before it draws the first id.
  const keys = [...new Set(events.map((e) => e.subject))].sort();
  // The hint makes the database handle wake this schema's relay once the transaction commits (signal.ts).
  await sql`${sql.raw(OUTBOX_WRITE_HINT)}
    INSERT INTO outbox (event_id, topic, message_key, event_type, payload)
    SELECT v.* FROM (VALUES ${sql.join(rows)}) AS v(event_id, topic, message_key, event_type, payload)
    WHERE (
      SELECT count(*) FROM (
        SELECT pg_advisory_xact_lock(${OUTBOX_KEY_LOCK_CLASS}, hashtext(k)) FROM unnest(${keys}::text[]) AS k ORDER BY k
      ) AS locked
    ) >= 0`.execute(trx);
}
