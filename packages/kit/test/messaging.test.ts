import { createEvent, exampleEvents } from '@baton/contracts';
import { deleteTopics, enqueue, ensureTopics, messagingMigrations } from '@baton/kafka';
import { testEnv, uniqueName } from '@baton/testing';
import { sql } from 'kysely';
import { randomUUID } from 'node:crypto';
import { baseConfigSchema, createDatabase, createLogger, createMetrics, loadConfig, migrateToLatest, startMessaging, type Messaging } from '../src/index.js';

const env = testEnv();
const schema = uniqueName('messaging');
// Its own topic: services started by `pnpm start` on the same broker must not receive test events.
const topic = uniqueName('messaging_topic');
const database = createDatabase<any>({ url: env.databaseUrl, schema, max: 4 });
const metrics = createMetrics('messaging-test');
let messaging: Messaging;

beforeAll(async () => {
  await migrateToLatest(database.db, { schema, migrations: messagingMigrations });
  const config = loadConfig(baseConfigSchema, { PORT: '0', DATABASE_URL: env.databaseUrl, KAFKA_BROKERS: env.kafkaBrokers.join(','), OUTBOX_POLL_INTERVAL_MS: '60000' });
  messaging = await startMessaging({ service: schema, config, logger: createLogger({ name: schema, level: 'silent' }), database, metrics });
  await ensureTopics(messaging.client, [{ name: topic, partitions: 2 }, { name: `${topic}_dlq`, partitions: 1 }]);
  // Let the relay finish its first (empty) pass and park on its 60 s poll.
  await new Promise((r) => setTimeout(r, 300));
});

afterAll(async () => {
  await messaging.stopConsumers.close();
  await deleteTopics(messaging.client, [topic, `${topic}_dlq`]);
  for (const step of messaging.shutdown) await step.close();
  await sql`DROP SCHEMA ${sql.id(schema)} CASCADE`.execute(database.db);
  await database.close();
});

test('given an event committed to the outbox, when a service consumes the lifecycle topic, then it is handled once and metered', async () => {
  const leadId = randomUUID();
  const event = createEvent({ type: 'lead.captured', source: 'baton.test', subject: leadId, tenantid: 't', data: exampleEvents['lead.captured'] });
  await database.db.transaction().execute((trx) => enqueue(trx, [event], topic));

  const seen: string[] = [];
  await messaging.consume({
    groupId: uniqueName('group'),
    topics: [topic],
    deadLetterTopic: `${topic}_dlq`,
    db: database.db,
    logger: createLogger({ name: schema, level: 'silent' }),
    handle: async (e) => {
      if (e.subject === leadId) seen.push(e.id);
    },
  });
  const until = Date.now() + 30_000;
  // The relay's poll is 60 s: only the in-process commit signal can have published it this quickly.
  while (seen.length === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
  expect(seen).toEqual([event.id]);

  // The consumer can see the event before the relay's transaction commits and counts it: let it settle.
  let text = '';
  while (Date.now() < until) {
    text = await metrics.registry.metrics();
    if (/baton_outbox_published_total\S* [1-9]/.test(text) && /baton_outbox_backlog\S* 0/.test(text)) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  expect(text).toMatch(/baton_outbox_published_total\S* [1-9]/);
  expect(text).toMatch(/baton_consumer_events_total\{[^}]*outcome="handled"[^}]*\} [1-9]/);
  expect(text).toMatch(/baton_outbox_backlog\S* 0/);
});
