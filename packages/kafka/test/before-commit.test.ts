import type { LifecycleEvent } from '@baton/contracts';
import { testEnv, uniqueName, waitFor } from '@baton/testing';
import { randomUUID } from 'node:crypto';
import { sql, type Transaction } from 'kysely';
import { createKafkaClient, createOutboxRelay, createPublisher, deleteTopics, enqueue, ensureTopics, runConsumer, type ConsumerOptions, type RunningConsumer } from '../src/index.js';
import { capturedEvent, createTestSchema, silentLogger } from './support.js';

// The before-commit hook lets a handler defer its writes to the end of the transaction and make them in one
// statement: the runner calls it once per transaction it opens (a chunk, or one event on the slow path).

const env = testEnv();
const schema = uniqueName('before_commit');
const client = createKafkaClient({ brokers: env.kafkaBrokers, clientId: schema, logger: silentLogger });
const publisher = createPublisher(client);
const topics: string[] = [];
const running: RunningConsumer[] = [];
let store: Awaited<ReturnType<typeof createTestSchema>>;

beforeAll(async () => {
  store = await createTestSchema(env.databaseUrl, schema);
  await publisher.connect();
});

afterAll(async () => {
  await Promise.all(running.splice(0).map((c) => c.stop()));
  await publisher.disconnect();
  await deleteTopics(client, topics);
  await store.drop();
});

/** A topic of its own with `events` already on it (one relay batch). */
async function topicWith(events: LifecycleEvent[]): Promise<string> {
  const topic = uniqueName('before_commit_topic');
  topics.push(topic, `${topic}_dlq`);
  await ensureTopics(client, [{ name: topic, partitions: 3 }, { name: `${topic}_dlq`, partitions: 1 }]);
  await store.db.transaction().execute((trx) => enqueue(trx, events, topic));
  const relay = createOutboxRelay({ pool: store.pool, publisher, logger: silentLogger, schema });
  while ((await relay.publishBatch()) > 0);
  return topic;
}

/** A handler that only notes events, and a hook that writes the transaction's notes in one INSERT. */
function deferringHandler(opts: { failFirstHook?: boolean } = {}) {
  const pending = new WeakMap<object, LifecycleEvent[]>();
  const hookSizes: number[] = [];
  let failuresLeft = opts.failFirstHook ? 1 : 0;
  const handle: ConsumerOptions<any>['handle'] = async (event, trx) => {
    pending.set(trx, [...(pending.get(trx) ?? []), event]);
  };
  const beforeCommit = async (trx: Transaction<any>) => {
    const events = pending.get(trx) ?? [];
    pending.delete(trx);
    hookSizes.push(events.length);
    await sql`INSERT INTO effects (event_id, subject) SELECT * FROM unnest(${events.map((e) => e.id)}::uuid[], ${events.map((e) => e.subject)}::text[])`.execute(trx);
    if (failuresLeft-- > 0) throw new Error('connection terminated unexpectedly');
  };
  return { handle, beforeCommit, hookSizes };
}

async function consume(topic: string, handler: ReturnType<typeof deferringHandler>): Promise<RunningConsumer> {
  const consumer = await runConsumer({
    client, publisher, db: store.db, logger: silentLogger, groupId: uniqueName('group'), topics: [topic], deadLetterTopic: `${topic}_dlq`,
    sessionTimeoutMs: 6_000, retry: { baseMs: 20, maxMs: 200 }, handle: handler.handle, beforeCommit: handler.beforeCommit,
  });
  running.push(consumer);
  return consumer;
}

test('given a handler that defers its writes, when a chunk is consumed, then the hook writes them once per transaction, before the commit', async () => {
  const events = Array.from({ length: 30 }, () => capturedEvent(randomUUID()));
  const handler = deferringHandler();
  const consumer = await consume(await topicWith(events), handler);
  await waitFor('every event handled', () => consumer.stats().handled === events.length);
  for (const event of events) expect(await store.effectsOf(event.id)).toBe(1);
  // Whole chunks per call (the events were all on the topic before the consumer started), nothing left over.
  expect(handler.hookSizes.reduce((sum, n) => sum + n, 0)).toBe(events.length);
  expect(handler.hookSizes.length).toBeLessThan(events.length);
});

test('given a hook that fails, when the chunk is replayed one event at a time, then the hook runs per event and every effect happens once', async () => {
  const events = Array.from({ length: 30 }, () => capturedEvent(randomUUID()));
  const handler = deferringHandler({ failFirstHook: true });
  const consumer = await consume(await topicWith(events), handler);
  await waitFor('every event handled', () => consumer.stats().handled === events.length);
  for (const event of events) expect(await store.effectsOf(event.id)).toBe(1);
  // The failed call's chunk came back one event per transaction.
  const [failed, ...after] = handler.hookSizes;
  expect(failed).toBeGreaterThan(1);
  expect(after.slice(0, failed).every((n) => n === 1)).toBe(true);
  expect(consumer.stats().deadLettered).toBe(0);
});
