import { testEnv, uniqueName, waitFor, whileLockHeld } from '@baton/testing';
import { sql } from 'kysely';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import {
  createKafkaClient,
  createOutboxRelay,
  createPublisher,
  deleteTopics,
  enqueue,
  ensureTopics,
  EventTooLargeError,
  onOutboxCommit,
  purgeMessaging,
  type OutboxRelay,
} from '../src/index.js';
import { OUTBOX_RELAY_LOCK_CLASS } from '../src/outbox/messaging.migration.js';
import type { LifecycleEvent } from '@baton/contracts';
import { capturedEvent, createTestSchema, readTopic, silentLogger, topicMessageCount } from './support.js';

const env = testEnv();
const schema = uniqueName('relay');
const topic = uniqueName('relay_topic');
const client = createKafkaClient({ brokers: env.kafkaBrokers, clientId: schema, logger: silentLogger });
const publisher = createPublisher(client);
let store: Awaited<ReturnType<typeof createTestSchema>>;

const relay = (overrides: Partial<Parameters<typeof createOutboxRelay>[0]> = {}): OutboxRelay =>
  createOutboxRelay({ pool: store.pool, publisher, logger: silentLogger, schema, pollIntervalMs: 50, ...overrides });

beforeAll(async () => {
  store = await createTestSchema(env.databaseUrl, schema);
  await ensureTopics(client, [{ name: topic, partitions: 3 }]);
  await publisher.connect();
});

afterAll(async () => {
  await publisher.disconnect();
  await deleteTopics(client, [topic]);
  await store.drop();
});

beforeEach(async () => {
  await sql`TRUNCATE outbox`.execute(store.db);
});

test('given a rolled-back transaction, when the relay runs, then nothing is published', async () => {
  const before = await topicMessageCount(client, topic);
  await expect(
    store.db.transaction().execute(async (trx) => {
      await enqueue(trx, [capturedEvent()], topic);
      throw new Error('business rule failed after the enqueue');
    }),
  ).rejects.toThrow('business rule failed');

  expect(await relay().publishBatch()).toBe(0);
  expect(await store.count('outbox')).toBe(0);
  expect(await topicMessageCount(client, topic)).toBe(before);
});

test('given committed events, when the relay runs, then they are published keyed by lead and marked published', async () => {
  const before = await topicMessageCount(client, topic);
  const leadId = randomUUID();
  const events = [capturedEvent(leadId), capturedEvent(leadId), capturedEvent()];
  await store.db.transaction().execute((trx) => enqueue(trx, events, topic));

  expect(await relay().publishBatch()).toBe(3);
  expect(await relay().publishBatch()).toBe(0);

  const { rows } = await sql<{ pending: string }>`SELECT count(*) FILTER (WHERE published_at IS NULL) AS pending FROM outbox`.execute(store.db);
  expect(Number(rows[0]?.pending)).toBe(0);
  expect(await topicMessageCount(client, topic)).toBe(before + 3);
  const all = await readTopic(client, topic, before + 3);
  const mine = all.filter((m) => events.some((e) => m.headers.ce_id === e.id));
  expect(mine.map((m) => m.key).sort()).toEqual(events.map((e) => e.subject).sort());
  expect(mine.every((m) => m.headers.ce_type === 'lead.captured')).toBe(true);
  const sameLead = mine.filter((m) => m.key === leadId);
  expect(new Set(sameLead.map((m) => m.partition)).size).toBe(1);
  expect(sameLead.map((m) => JSON.parse(m.value ?? '{}').id)).toEqual([events[0]?.id, events[1]?.id]);
});

test('given a running relay with a long poll interval, when a row is committed, then the commit signal wakes it at once', async () => {
  const listening = relay({ pollIntervalMs: 60_000 });
  await listening.start();
  try {
    // Let the first (empty) pass finish so the relay is parked on its 60 s wait.
    await new Promise((r) => setTimeout(r, 300));
    await store.db.transaction().execute((trx) => enqueue(trx, [capturedEvent()], topic));
    await waitFor('the row to be published', async () => {
      const { rows } = await sql<{ n: string }>`SELECT count(*) AS n FROM outbox WHERE published_at IS NOT NULL`.execute(store.db);
      return Number(rows[0]?.n) === 1;
    }, 5_000);
  } finally {
    await listening.stop();
  }
});

test('given two relays on one outbox, when both drain it, then no row is published twice and each lead keeps its order', async () => {
  const before = await topicMessageCount(client, topic);
  const leads = Array.from({ length: 20 }, () => randomUUID());
  const events = Array.from({ length: 2_000 }, (_, i) => capturedEvent(leads[i % leads.length]));
  for (let i = 0; i < events.length; i += 100) {
    await store.db.transaction().execute((trx) => enqueue(trx, events.slice(i, i + 100), topic));
  }

  const relays = [relay({ batchSize: 37 }), relay({ batchSize: 53 })];
  await Promise.all(relays.map((r) => r.start()));
  await waitFor('the outbox to drain', async () => {
    const { rows } = await sql<{ n: string }>`SELECT count(*) AS n FROM outbox WHERE published_at IS NULL`.execute(store.db);
    return Number(rows[0]?.n) === 0;
  });
  await Promise.all(relays.map((r) => r.stop()));

  expect(await topicMessageCount(client, topic)).toBe(before + events.length);
  const received = (await readTopic(client, topic, before + events.length)).filter((m) => m.headers.ce_id);
  const order = new Map(events.map((e, i) => [e.id, i]));
  const mine = received.filter((m) => order.has(m.headers.ce_id ?? ''));
  expect(new Set(mine.map((m) => m.headers.ce_id)).size).toBe(events.length);
  for (const lead of leads) {
    const positions = mine
      .filter((m) => m.key === lead)
      .sort((a, b) => Number(BigInt(a.offset) - BigInt(b.offset)))
      .map((m) => order.get(m.headers.ce_id ?? '') ?? -1);
    expect(positions).toEqual([...positions].sort((a, b) => a - b));
  }
});

/** Runs `during` while this schema's relay lock is held, as another instance's relay mid-pass would hold it. */
const holdingRelayLock = (during: () => Promise<void>): Promise<void> =>
  whileLockHeld(store.db, (trx) => sql`SELECT pg_advisory_xact_lock(${OUTBOX_RELAY_LOCK_CLASS}, hashtext(current_schema()))`.execute(trx), during);

const pendingCount = async (): Promise<number> =>
  Number((await sql<{ n: string }>`SELECT count(*) AS n FROM outbox WHERE published_at IS NULL`.execute(store.db)).rows[0]?.n);

test('given another relay mid-pass, when a row commits, then it waits for the lock and goes out soon after, not at the next poll', async () => {
  const listening = relay({ pollIntervalMs: 60_000 });
  try {
    await holdingRelayLock(async () => {
      await listening.start();
      await store.db.transaction().execute((trx) => enqueue(trx, [capturedEvent()], topic));
      expect(await relay().publishBatch()).toBe(0);
      await new Promise((r) => setTimeout(r, 300));
      expect(await pendingCount()).toBe(1);
    });
    await waitFor('the row to be published once the lock is free', async () => (await pendingCount()) === 0, 5_000);
  } finally {
    await listening.stop();
  }
});

test('given a relay whose sends fail, when another relay holds the lock, then its failure count is kept for readiness', async () => {
  await enqueue(store.db, [capturedEvent()], topic);
  const refusing = relay({
    busyRetryMs: 5,
    publisher: { connect: async () => undefined, disconnect: async () => undefined, publish: async () => Promise.reject(new Error('broker down')) },
  });
  await refusing.start();
  try {
    await waitFor('a failed batch', () => refusing.consecutiveFailures() >= 1, 5_000);
    await holdingRelayLock(async () => {
      // Long enough for the failure back-off to end and several passes to find the lock held.
      await new Promise((r) => setTimeout(r, 800));
      expect(refusing.consecutiveFailures()).toBeGreaterThanOrEqual(1);
    });
  } finally {
    await refusing.stop();
  }
});

test('given statistics that favour a bitmap scan, when the relay claims, then it walks the pending index in order', async () => {
  // Published rows leave dead entries in outbox_pending_idx until a vacuum. A plain index scan marks them
  // as it passes, so later passes skip them; a bitmap scan (what the planner picks when it expects a few
  // hundred pending rows scattered over the table) would visit each one, heap page and all, on every pass.
  // Scattered: ids written in random physical order, a fiftieth of them pending when the statistics are taken.
  await sql`
    INSERT INTO outbox (id, event_id, topic, message_key, event_type, payload) OVERRIDING SYSTEM VALUE
    SELECT 1000000 + g, gen_random_uuid(), ${topic}, 'k', 'lead.captured', jsonb_build_object('pad', repeat('x', 200))
    FROM generate_series(1, 20000) AS g ORDER BY random()`.execute(store.db);
  await sql`UPDATE outbox SET published_at = now() WHERE id % 50 <> 0`.execute(store.db);
  await sql`ANALYZE outbox`.execute(store.db);
  await sql`UPDATE outbox SET published_at = now() WHERE published_at IS NULL`.execute(store.db);
  await enqueue(store.db, [capturedEvent(), capturedEvent()], topic);
  const { rows: plain } = await sql<{ plan: string }>`
    EXPLAIN SELECT * FROM outbox WHERE published_at IS NULL ORDER BY id LIMIT 500`.execute(store.db);
  expect(plain.map((r) => Object.values(r).join('')).join('\n')).toContain('Bitmap');

  const client = new pg.Client({ connectionString: env.databaseUrl, options: `-c search_path=${schema}` });
  await client.connect();
  const plans: string[] = [];
  client.on('notice', (notice) => plans.push(notice.message ?? ''));
  try {
    await client.query(`LOAD 'auto_explain'`);
    await client.query('SET auto_explain.log_min_duration = 0');
    await client.query('SET auto_explain.log_nested_statements = on');
    await client.query('SET auto_explain.log_level = notice');
    const { rows } = await client.query('SELECT id FROM outbox_claim(500)');
    expect(rows).toHaveLength(2);
  } finally {
    await client.end();
  }
  const claim = plans.find((p) => p.includes('FROM outbox AS o'));
  expect(claim).toContain('Index Scan using outbox_pending_idx');
  expect(claim).not.toMatch(/Bitmap|Seq Scan|Sort/);
});

test('given the outbox commit signal, then it fires after commits that wrote the outbox, and only for them', async () => {
  let signals = 0;
  let otherSchema = 0;
  const unsubscribe = onOutboxCommit(schema, () => (signals += 1));
  const unsubscribeOther = onOutboxCommit(`${schema}_other`, () => (otherSchema += 1));
  try {
    await store.db.transaction().execute(async (trx) => {
      await enqueue(trx, [capturedEvent()], topic);
      // Not yet: the row is invisible to the relay until the commit.
      expect(signals).toBe(0);
    });
    expect(signals).toBe(1);

    await expect(store.db.transaction().execute(async (trx) => {
      await enqueue(trx, [capturedEvent()], topic);
      throw new Error('rolled back');
    })).rejects.toThrow('rolled back');
    await store.db.transaction().execute((trx) => sql`SELECT count(*) FROM outbox`.execute(trx));
    expect(signals).toBe(1);

    // A statement on its own commits by itself.
    await enqueue(store.db, [capturedEvent()], topic);
    expect(signals).toBe(2);
    expect(otherSchema).toBe(0);
  } finally {
    unsubscribe();
    unsubscribeOther();
  }
});

test('given a transaction that enqueued for a lead and has not committed, when another enqueues for that lead, then it waits for the commit', async () => {
  const leadId = randomUUID();
  let releaseFirst!: () => void;
  const firstHolds = new Promise<void>((resolve) => (releaseFirst = resolve));
  let firstEnqueued!: () => void;
  const firstIn = new Promise<void>((resolve) => (firstEnqueued = resolve));
  const first = store.db.transaction().execute(async (trx) => {
    await enqueue(trx, [capturedEvent(leadId)], topic);
    firstEnqueued();
    await firstHolds;
  });
  await firstIn;
  let secondDone = false;
  const second = store.db.transaction().execute((trx) => enqueue(trx, [capturedEvent(leadId), capturedEvent()], topic)).then(() => (secondDone = true));
  try {
    await new Promise((r) => setTimeout(r, 300));
    // Without the lock the second would have drawn its id and could commit first: the relay would skip ahead.
    expect(secondDone).toBe(false);
  } finally {
    releaseFirst();
    await Promise.all([first, second]);
  }
  const { rows } = await sql<{ n: string }>`SELECT count(*) AS n FROM outbox WHERE message_key = ${leadId}`.execute(store.db);
  expect(Number(rows[0]?.n)).toBe(2);
});

test('given an event over the size limit, when enqueued, then it is refused and the transaction can roll back', async () => {
  const huge = padded(capturedEvent(), 600 * 1024);
  await expect(store.db.transaction().execute((trx) => enqueue(trx, [huge], topic))).rejects.toBeInstanceOf(EventTooLargeError);
  expect(await store.count('outbox')).toBe(0);
});

test('given pending rows larger together than one Kafka batch, when the relay runs, then it publishes them over several sends', async () => {
  const before = await topicMessageCount(client, topic);
  const leadId = randomUUID();
  // 6 x 400 KB: far over the broker's 1 MB batch limit if sent at once, on one partition (one lead).
  const big = Array.from({ length: 6 }, () => padded(capturedEvent(leadId), 400 * 1024));
  await store.db.transaction().execute((trx) => enqueue(trx, big, topic));
  const r = relay();
  let sends = 0;
  while ((await r.publishBatch()) > 0) sends += 1;
  expect(sends).toBeGreaterThan(1);
  expect(await topicMessageCount(client, topic)).toBe(before + 6);
});

/** An event grown to about `bytes` (contracts would refuse it; the transport limits are what is under test). */
function padded(event: LifecycleEvent, bytes: number): LifecycleEvent {
  return { ...event, data: { ...event.data, padding: 'x'.repeat(bytes) } } as unknown as LifecycleEvent;
}

test('given a broker that refuses every send, when the relay runs, then rows stay pending, the failures are counted and no pass is left open', async () => {
  const event = capturedEvent();
  await store.db.transaction().execute((trx) => enqueue(trx, [event], topic));
  const refusing = relay({
    publisher: { connect: async () => undefined, disconnect: async () => undefined, publish: async () => Promise.reject(new Error('broker down')) },
  });
  await refusing.start();
  try {
    await waitFor('three failed batches', () => refusing.consecutiveFailures() >= 3, 10_000);
  } finally {
    await refusing.stop();
  }
  const { rows } = await sql<{ published_at: Date | null }>`SELECT published_at FROM outbox WHERE event_id = ${event.id}::uuid`.execute(store.db);
  expect(rows).toEqual([{ published_at: null }]);
  // Each failed pass rolled back on its connection: no transaction still holds the relay lock.
  const { rows: held } = await sql<{ count: string }>`
    SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = ${OUTBOX_RELAY_LOCK_CLASS}`.execute(store.db);
  expect(held).toEqual([{ count: '0' }]);
  expect(await relay().publishBatch()).toBe(1);
});

test('given old published rows, old pending rows and old inbox entries, when purged, then only what is safe to forget goes', async () => {
  const [oldPublished, oldPending, freshPublished] = [capturedEvent(), capturedEvent(), capturedEvent()];
  await store.db.transaction().execute((trx) => enqueue(trx, [oldPublished, oldPending, freshPublished], topic));
  await sql`UPDATE outbox SET created_at = now() - interval '30 days' WHERE event_id IN (${oldPublished.id}::uuid, ${oldPending.id}::uuid)`.execute(store.db);
  await sql`UPDATE outbox SET published_at = now() - interval '8 days' WHERE event_id = ${oldPublished.id}::uuid`.execute(store.db);
  await sql`UPDATE outbox SET published_at = now() WHERE event_id = ${freshPublished.id}::uuid`.execute(store.db);
  await sql`
    INSERT INTO inbox (consumer, event_id, event_type, topic, kafka_partition, kafka_offset, processed_at) VALUES
      ('c', ${randomUUID()}::uuid, 'lead.captured', 't', 0, 1, now() - interval '15 days'),
      ('c', ${randomUUID()}::uuid, 'lead.captured', 't', 0, 2, now() - interval '13 days')`.execute(store.db);

  expect(await purgeMessaging(store.db, { publishedDays: 7, inboxDays: 14, batchSize: 1 })).toEqual({ outbox: 1, inbox: 1 });
  const { rows } = await sql<{ event_id: string }>`SELECT event_id FROM outbox ORDER BY id`.execute(store.db);
  expect(rows.map((r) => r.event_id)).toEqual([oldPending.id, freshPublished.id]);
  expect(await store.count('inbox')).toBe(1);
  await sql`TRUNCATE inbox`.execute(store.db);
});
