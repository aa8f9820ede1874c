import { createEvent, encodeEvent, exampleEvents, type LifecycleEvent } from '@baton/contracts';
import { testEnv, uniqueName, waitFor } from '@baton/testing';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import {
  createKafkaClient,
  createOutboxRelay,
  createPublisher,
  deleteTopics,
  enqueue,
  ensureTopics,
  PermanentError,
  runConsumer,
  type ConsumerOptions,
  type RunningConsumer,
} from '../src/index.js';
import { capturedEvent, createTestSchema, readTopic, silentLogger } from './support.js';

const env = testEnv();
const schema = uniqueName('consumer');
const topics: string[] = [];
// Each test gets its own topic pair, so one test's messages never reach another's consumer.
let topic = '';
let dlq = '';
const client = createKafkaClient({ brokers: env.kafkaBrokers, clientId: schema, logger: silentLogger });
const publisher = createPublisher(client);
let store: Awaited<ReturnType<typeof createTestSchema>>;
const running: RunningConsumer[] = [];

/** The effect under test: one row per handled event (no unique key, so doubles would show). */
const recordEffect: ConsumerOptions<any>['handle'] = async (event, trx) => {
  await sql`INSERT INTO effects (event_id, subject) VALUES (${event.id}::uuid, ${event.subject})`.execute(trx);
};

async function consume(overrides: Partial<ConsumerOptions<any>> = {}): Promise<RunningConsumer> {
  const consumer = await runConsumer({
    client,
    publisher,
    db: store.db,
    logger: silentLogger,
    groupId: uniqueName('group'),
    topics: [topic],
    deadLetterTopic: dlq,
    sessionTimeoutMs: 6_000,
    retry: { baseMs: 20, maxMs: 200 },
    handle: recordEffect,
    ...overrides,
  });
  running.push(consumer);
  return consumer;
}

async function commitAndRelay(events: LifecycleEvent[]): Promise<void> {
  await store.db.transaction().execute((trx) => enqueue(trx, events, topic));
  const relay = createOutboxRelay({ pool: store.pool, publisher, logger: silentLogger, schema });
  while ((await relay.publishBatch()) > 0);
}

beforeAll(async () => {
  store = await createTestSchema(env.databaseUrl, schema);
  await publisher.connect();
});

beforeEach(async () => {
  topic = uniqueName('consumer_topic');
  dlq = `${topic}_dlq`;
  topics.push(topic, dlq);
  await ensureTopics(client, [{ name: topic, partitions: 3 }, { name: dlq, partitions: 1 }]);
});

afterEach(async () => {
  await Promise.all(running.splice(0).map((c) => c.stop()));
});

afterAll(async () => {
  await publisher.disconnect();
  await deleteTopics(client, topics);
  await store.drop();
});

test('given the relay publishes an event twice, when consumed, then its effect happens exactly once', async () => {
  const event = capturedEvent();
  await commitAndRelay([event]);
  // The relay crashed after sending but before marking the row: it sends the same row again.
  await sql`UPDATE outbox SET published_at = NULL WHERE event_id = ${event.id}::uuid`.execute(store.db);
  await commitAndRelay([]);

  const groupId = uniqueName('group');
  const consumer = await consume({ groupId });
  await waitFor('both copies to be consumed', async () => {
    const { rows } = await sql<{ n: string }>`SELECT count(*) AS n FROM inbox WHERE consumer = ${groupId} AND event_id = ${event.id}::uuid`.execute(store.db);
    return Number(rows[0]?.n) === 1 && consumer.stats().duplicates >= 1;
  });
  expect(await store.effectsOf(event.id)).toBe(1);
});

test('given a consumer process killed after its database commit and before its offset commit, when restarted, then the effect is not repeated', async () => {
  const event = capturedEvent();
  await commitAndRelay([event]);
  const groupId = uniqueName('group');

  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./fixtures/crashing-consumer.ts', import.meta.url))], {
    env: { ...process.env, SCHEMA: schema, DATABASE_URL: env.databaseUrl, KAFKA_BROKERS: env.kafkaBrokers.join(','), GROUP: groupId, TOPIC: topic, DLQ: dlq },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const signal = await new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, sig) => resolve(sig)));
  expect(signal).toBe('SIGKILL');
  expect(await store.effectsOf(event.id)).toBe(1);

  const restarted = await consume({ groupId });
  await waitFor('the redelivered event to be recognised', () => restarted.stats().duplicates >= 1, 45_000);
  expect(restarted.stats().handled).toBe(0);
  expect(await store.effectsOf(event.id)).toBe(1);
}, 90_000);

test('given malformed and unknown messages between good ones, when consumed, then the bad ones are dead-lettered and the partition moves on', async () => {
  const leadId = randomUUID();
  const first = capturedEvent(leadId);
  const last = capturedEvent(leadId);
  const unknownType = { ...JSON.parse(encodeEvent(capturedEvent(leadId))), type: 'lead.teleported' };
  await publisher.publish([
    { topic, key: leadId, value: encodeEvent(first) },
    { topic, key: leadId, value: '{"this is": not json', headers: { origin: 'test' } },
    { topic, key: leadId, value: JSON.stringify(unknownType) },
    { topic, key: leadId, value: encodeEvent(last) },
  ]);

  const consumer = await consume();
  await waitFor('the last good event', async () => (await store.effectsOf(last.id)) === 1);
  expect(await store.effectsOf(first.id)).toBe(1);
  expect(consumer.stats().deadLettered).toBe(2);

  const dead = await readTopic(client, dlq, 2);
  const malformed = dead.find((m) => m.headers['x-error-code'] === 'malformed_json');
  expect(malformed?.value).toBe('{"this is": not json');
  expect(malformed?.key).toBe(leadId);
  expect(malformed?.headers.origin).toBe('test');
  expect(malformed?.headers['x-original-topic']).toBe(topic);
  expect(dead.find((m) => m.headers['x-error-code'] === 'unknown_type')).toBeDefined();
});

test('given a handler that fails permanently, when consumed, then the event is dead-lettered with the error and nothing of it is stored', async () => {
  const poison = capturedEvent();
  const next = capturedEvent(poison.subject);
  await commitAndRelay([poison, next]);

  await consume({
    handle: async (event, trx) => {
      await recordEffect(event, trx, { topic, partition: 0, offset: '0' });
      if (event.id === poison.id) throw new PermanentError('lead_unknown', 'no such lead in this tenant');
    },
  });
  await waitFor('the next event', async () => (await store.effectsOf(next.id)) === 1);
  expect(await store.effectsOf(poison.id)).toBe(0);
  const dead = await readTopic(client, dlq, 1);
  const entry = dead.find((m) => m.headers.ce_id === poison.id);
  expect(entry?.headers['x-error-code']).toBe('lead_unknown');
  expect(entry?.headers['x-error-message']).toBe('no such lead in this tenant');
});

test('given transient failures, when consumed, then the event is retried until it succeeds, never skipped', async () => {
  const event = capturedEvent();
  const after = capturedEvent(event.subject);
  await commitAndRelay([event, after]);
  let failuresLeft = 3;
  const handledOrder: string[] = [];

  const consumer = await consume({
    handle: async (e, trx) => {
      if (e.id === event.id && failuresLeft-- > 0) throw new Error('connection terminated unexpectedly');
      handledOrder.push(e.id);
      await recordEffect(e, trx, { topic, partition: 0, offset: '0' });
    },
  });
  await waitFor('both events', async () => (await store.effectsOf(after.id)) === 1);
  expect(handledOrder).toEqual([event.id, after.id]);
  expect(await store.effectsOf(event.id)).toBe(1);
  expect(consumer.stats().deadLettered).toBe(0);
});

test('given a handler slower than the session timeout, when consumed, then the member keeps its group membership', async () => {
  const event = capturedEvent();
  await commitAndRelay([event]);
  const consumer = await consume({
    handle: async (e, trx) => {
      if (e.id === event.id) await new Promise((r) => setTimeout(r, 9_000));
      await recordEffect(e, trx, { topic, partition: 0, offset: '0' });
    },
  });
  await waitFor('the slow event', async () => (await store.effectsOf(event.id)) === 1, 40_000);
  expect(consumer.stats().groupJoins).toBe(1);
}, 60_000);

test('given a consumer that handles only some types, when other types arrive, then they are skipped without an inbox row', async () => {
  const leadId = randomUUID();
  const captured = capturedEvent(leadId);
  const assigned = createEvent({ type: 'lead.assigned', source: 'baton.test', subject: leadId, tenantid: 't', data: exampleEvents['lead.assigned'] });
  await commitAndRelay([captured, assigned]);
  const groupId = uniqueName('group');
  const consumer = await consume({ groupId, eventTypes: ['lead.assigned'] });

  await waitFor('the assigned event', async () => (await store.effectsOf(assigned.id)) === 1);
  await waitFor('the captured event to be passed over', () => consumer.stats().skipped >= 1);
  expect(await store.effectsOf(captured.id)).toBe(0);
  const { rows } = await sql<{ event_id: string }>`SELECT event_id FROM inbox WHERE consumer = ${groupId}`.execute(store.db);
  expect(rows.map((r) => r.event_id)).toEqual([assigned.id]);
});
