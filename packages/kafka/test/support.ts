import { createEvent, exampleEvents, type LifecycleEvent } from '@baton/contracts';
import { waitFor } from '@baton/testing';
import { Kysely, PostgresDialect, sql, type Migration } from 'kysely';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { pino } from 'pino';
import { messagingMigrations, withOutboxSignal, type KafkaClient } from '../src/index.js';

export const silentLogger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

/** A throwaway schema holding the messaging tables plus an `effects` table that counts handler effects. */
export async function createTestSchema(databaseUrl: string, schema: string) {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 6, options: `-c search_path=${schema}` });
  const db = new Kysely<any>({ dialect: withOutboxSignal(new PostgresDialect({ pool }), schema) });
  await sql`CREATE SCHEMA ${sql.id(schema)}`.execute(db);
  const migrations: Migration[] = Object.values(messagingMigrations);
  for (const m of migrations) await m.up(db);
  // No unique constraint on purpose: an effect applied twice shows up as two rows.
  await sql`CREATE TABLE effects (n bigserial PRIMARY KEY, event_id uuid NOT NULL, subject text NOT NULL)`.execute(db);
  return {
    db,
    pool,
    async effectsOf(eventId: string): Promise<number> {
      const { rows } = await sql<{ c: string }>`SELECT count(*) AS c FROM effects WHERE event_id = ${eventId}::uuid`.execute(db);
      return Number(rows[0]?.c);
    },
    async count(table: 'effects' | 'inbox' | 'outbox'): Promise<number> {
      const { rows } = await sql<{ c: string }>`SELECT count(*) AS c FROM ${sql.table(table)}`.execute(db);
      return Number(rows[0]?.c);
    },
    async drop() {
      await sql`DROP SCHEMA ${sql.id(schema)} CASCADE`.execute(db);
      await db.destroy();
    },
  };
}

/** A valid lead.captured event for `leadId`. */
export function capturedEvent(leadId: string = randomUUID()): LifecycleEvent {
  return createEvent({
    type: 'lead.captured',
    source: 'baton.test',
    subject: leadId,
    tenantid: 'tenant-test',
    data: exampleEvents['lead.captured'],
  });
}

export interface ReadMessage {
  key: string | null;
  value: string | null;
  headers: Record<string, string>;
  partition: number;
  offset: string;
}

/** Reads `topic` from the beginning with a throwaway group until `expected` messages arrived. */
export async function readTopic(client: KafkaClient, topic: string, expected: number, timeoutMs = 30_000): Promise<ReadMessage[]> {
  const consumer = client.kafka.consumer({ groupId: `reader-${randomUUID()}` });
  const seen: ReadMessage[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message, partition }) => {
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(message.headers ?? {})) if (v !== undefined) headers[k] = String(v);
        seen.push({ key: message.key?.toString() ?? null, value: message.value?.toString() ?? null, headers, partition, offset: message.offset });
      },
    });
    await waitFor(`${expected} messages on ${topic}`, () => seen.length >= expected, timeoutMs);
    return seen;
  } finally {
    await consumer.disconnect();
  }
}

/** Total number of messages ever written to `topic` (sum of partition high watermarks). */
export async function topicMessageCount(client: KafkaClient, topic: string): Promise<number> {
  const admin = client.kafka.admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return offsets.reduce((sum, p) => sum + Number(p.high) - Number(p.low), 0);
  } finally {
    await admin.disconnect();
  }
}
