// Outbox → Kafka → consumer: throughput and commit-to-handler latency through the real relay, broker and
// consumer runner (inbox transaction included). Usage: pnpm bench outbox [--events 20000] [--writers 8]
//   [--rate 500] [--seconds 10] [--partitions 6] [--concurrency 3]
import { createEvent, exampleEvents } from '@baton/contracts';
import {
  createKafkaClient,
  createOutboxRelay,
  createPublisher,
  deleteTopics,
  enqueue,
  ensureTopics,
  messagingMigrations,
  runConsumer,
  withOutboxSignal,
} from '@baton/kafka';
import { Kysely, PostgresDialect, sql } from 'kysely';
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { pino } from 'pino';
import { option, round, summarize } from './stats.js';

const databaseUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/baton';
const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
const total = option('events', 20_000);
const writers = option('writers', 8);
const rate = option('rate', 500);
const seconds = option('seconds', 10);
const partitions = option('partitions', 6);
const concurrency = option('concurrency', 3);

const id = `bench_outbox_${Date.now()}`;
const logger = pino({ level: 'warn' });
const pool = new pg.Pool({ connectionString: databaseUrl, max: writers + 6, options: `-c search_path=${id}` });
const db = new Kysely<any>({ dialect: withOutboxSignal(new PostgresDialect({ pool }), id) });
const client = createKafkaClient({ brokers, clientId: id, logger });
const publisher = createPublisher(client);
const committedAt = new Map<string, number>();
const latencies: number[] = [];
let handled = 0;

async function commitOne(): Promise<void> {
  const event = createEvent({ type: 'lead.captured', source: 'baton.bench', subject: randomUUID(), tenantid: 'bench', data: exampleEvents['lead.captured'] });
  await db.transaction().execute((trx) => enqueue(trx, [event], id));
  committedAt.set(event.id, performance.now());
}

async function waitHandled(target: number): Promise<void> {
  while (handled < target) await new Promise((r) => setTimeout(r, 5));
}

async function throughputPhase(): Promise<{ eventsPerSec: number; commitsPerSec: number }> {
  const before = handled;
  const start = performance.now();
  let issued = 0;
  await Promise.all(
    Array.from({ length: writers }, async () => {
      while (issued < total) {
        issued += 1;
        await commitOne();
      }
    }),
  );
  const committed = performance.now();
  await waitHandled(before + total);
  const end = performance.now();
  return { eventsPerSec: round(total / ((end - start) / 1000), 0), commitsPerSec: round(total / ((committed - start) / 1000), 0) };
}

async function fixedRatePhase(): Promise<ReturnType<typeof summarize>> {
  latencies.length = 0;
  const before = handled;
  const count = Math.round(rate * seconds);
  const start = performance.now();
  const inFlight: Promise<void>[] = [];
  for (let i = 0; i < count; i++) {
    const due = start + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    inFlight.push(commitOne());
  }
  await Promise.all(inFlight);
  await waitHandled(before + count);
  return summarize(latencies);
}

async function main(): Promise<void> {
  await sql`CREATE SCHEMA ${sql.id(id)}`.execute(db);
  for (const m of Object.values(messagingMigrations)) await m.up(db);
  await ensureTopics(client, [{ name: id, partitions }, { name: `${id}_dlq`, partitions: 1 }]);
  await publisher.connect();
  const relay = createOutboxRelay({ pool, publisher, logger, schema: id });
  await relay.start();
  const consumer = await runConsumer({
    client, publisher, logger, db,
    groupId: id, topics: [id], deadLetterTopic: `${id}_dlq`,
    partitionsConsumedConcurrently: concurrency,
    handle: async (event) => {
      const at = committedAt.get(event.id);
      if (at !== undefined) latencies.push(performance.now() - at);
      handled += 1;
    },
  });
  try {
    await warmUp();
    const throughput = await throughputPhase();
    const fixed = await fixedRatePhase();
    console.log(JSON.stringify({ bench: 'outbox', events: total, writers, partitions, consumerConcurrency: concurrency, throughput, fixedRate: { rate, seconds, latencyMs: fixed } }, null, 2));
  } finally {
    await consumer.stop();
    await relay.stop();
    await publisher.disconnect();
    await deleteTopics(client, [id, `${id}_dlq`]);
    await sql`DROP SCHEMA ${sql.id(id)} CASCADE`.execute(db);
    await db.destroy();
  }
}

async function warmUp(): Promise<void> {
  for (let i = 0; i < 200; i++) await commitOne();
  await waitHandled(200);
}

await main();
