import { createEvent, exampleEvents, type EventData, type EventOf } from '@baton/contracts';
import { createKafkaClient, deleteTopics, ensureTopics } from '@baton/kafka';
import { createIdentity, createMetrics, identityMigrations, loadConfig, migrateToLatest, startMessaging, type HttpApp, type Identity, type Messaging, type Scope } from '@baton/kit';
import { openServiceHarness, uniqueName, type ServiceHarness } from '@baton/testing';
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { buildApp } from '../src/app.js';
import { SERVICE_NAME, configSchema, type Config } from '../src/config.js';
import { migrations } from '../src/db/migrations/index.js';
import type { Database } from '../src/db/schema.js';
import type { Timer } from '../src/domain/assignment.js';
import { startRouting, type RoutingInstance } from '../src/routing.js';

/** A clock tests can stop or move; reads real time (plus an offset) until set. */
export type TestClock = { now: () => Date; set(at: Date | string): void; advance(ms: number): void; reset(): void };

/** A fresh TestClock. */
export function testClock(): TestClock {
  let fixed: number | undefined;
  return {
    now: () => new Date(fixed ?? Date.now()),
    set: (at) => (fixed = new Date(at).getTime()),
    advance: (ms) => (fixed = (fixed ?? Date.now()) + ms),
    reset: () => (fixed = undefined),
  };
}

/** Bearer header for a key. */
export const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

/** A throwaway routing schema with a tenant, its keys, and the HTTP app. */
export type RoutingTestApp = {
  harness: ServiceHarness<Database>;
  identity: Identity;
  app: HttpApp;
  config: Config;
  tenantId: string;
  keys: { admin: string; act: string };
  clock: TestClock;
  /** Timers the app asked to schedule (no BullMQ here). */
  scheduled: Timer[];
  newTenant(): Promise<{ tenantId: string; admin: string; act: string }>;
  close(): Promise<void>;
};

/** Opens the routing app on its own schema; identity lives in the shared `identity` schema, so tenants are fresh. */
export async function openRoutingApp(env: Record<string, string> = {}): Promise<RoutingTestApp> {
  const harness = await openServiceHarness<Database>(SERVICE_NAME, migrations);
  await migrateToLatest(harness.db, { schema: 'identity', migrations: identityMigrations });
  const identity = createIdentity({ db: harness.db });
  const clock = testClock();
  const config = loadConfig(configSchema, { ...harness.env, ...env });
  const scheduled: Timer[] = [];
  const app = await buildApp({ ...harness, config, identity, clock: clock.now, rateLimitNameSpace: `${harness.schema}:`, schedule: async (timers) => void scheduled.push(...timers) });
  const newTenant = async () => {
    const slug = uniqueName('routing').replace(/_/g, '-');
    const tenant = await identity.createTenant({ slug });
    const admin = await identity.createApiKey({ tenantSlug: slug, scopes: ['routing:admin'] satisfies Scope[] });
    const act = await identity.createApiKey({ tenantSlug: slug, scopes: ['routing:act'] });
    return { tenantId: tenant.id, admin: admin.key, act: act.key };
  };
  const first = await newTenant();
  return {
    harness, identity, app, config, clock, scheduled, newTenant,
    tenantId: first.tenantId,
    keys: { admin: first.admin, act: first.act },
    async close() {
      await app.close();
      await harness.close();
    },
  };
}

/** A lead.captured event for `tenantId` with overrides on the example payload. */
export function captured(tenantId: string, data: Partial<EventData<'lead.captured'>> = {}, leadId: string = randomUUID()): EventOf<'lead.captured'> {
  return createEvent({ type: 'lead.captured', source: 'baton.capture', subject: leadId, tenantid: tenantId, data: { ...exampleEvents['lead.captured'], ...data } });
}

/** Polls `check` until it returns a value other than undefined/false, or fails after `timeoutMs`. */
export async function waitFor<T>(check: () => Promise<T | undefined | false>, timeoutMs = 20_000, what = 'condition'): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Routing's events of a lead, in order, from its history table. */
export async function historyOf(db: ServiceHarness<Database>['db'], leadId: string): Promise<Array<{ type: string; data: any; at: Date }>> {
  return db.selectFrom('routing_history').select(['type', 'data', 'at']).where('lead_id', '=', leadId).orderBy('id').execute();
}

/** Topic, group and BullMQ prefix of one test file, and the routing instances started on them. */
export type Pipeline = {
  env: Record<string, string>;
  topic: string;
  prefix: string;
  start(clock?: () => Date): Promise<RoutingInstance & { messaging: Messaging; stop(): Promise<void> }>;
  /** Deletes only this file's BullMQ keys (never FLUSHDB: the Redis is shared). */
  flushTimers(): Promise<number>;
  close(): Promise<void>;
};

/** Isolated Kafka topics, consumer group and BullMQ prefix for routing instances against the test schema. */
export async function openPipeline(t: RoutingTestApp): Promise<Pipeline> {
  const topic = uniqueName('routing_topic');
  const prefix = uniqueName('rtsla');
  const env = { ROUTING_TOPIC: topic, ROUTING_DEAD_LETTER_TOPIC: `${topic}_dlq`, ROUTING_CONSUMER_GROUP: uniqueName('routing_group'), SLA_QUEUE_PREFIX: prefix, SLA_QUEUE_NAME: 'sla', SLA_SWEEP_INTERVAL_MS: '1000', SLA_SWEEP_GRACE_MS: '1500', UNROUTED_SWEEP_INTERVAL_MS: '300', OUTBOX_POLL_INTERVAL_MS: '200' };
  const kafka = createKafkaClient({ brokers: t.harness.env.KAFKA_BROKERS!.split(','), clientId: topic, logger: t.harness.logger });
  await ensureTopics(kafka, [{ name: topic, partitions: 3 }, { name: `${topic}_dlq`, partitions: 1 }]);
  const running: Array<() => Promise<void>> = [];
  const config = loadConfig(configSchema, { ...t.harness.env, ...env });
  const flushTimers = async () => {
    const keys = await t.harness.redis.keys(`${prefix}:*`);
    if (keys.length > 0) await t.harness.redis.del(...keys);
    return keys.length;
  };
  return {
    env, topic, prefix, flushTimers,
    async start(clock) {
      // The relay listens for its schema's notifications: the test schema, not 'routing'.
      const messaging = await startMessaging({ service: t.harness.schema, config, logger: t.harness.logger, database: t.harness, metrics: createMetrics(SERVICE_NAME) });
      const instance = await startRouting({ ...t.harness, config, messaging, identity: t.identity, clock: clock ?? t.clock.now, rateLimitNameSpace: `${t.harness.schema}:` });
      let stopped = false;
      const stop = async () => {
        if (stopped) return;
        stopped = true;
        for (const step of [...instance.shutdown, ...messaging.shutdown]) await step.close().catch(() => undefined);
        await instance.app.close();
      };
      running.push(stop);
      return { ...instance, messaging, stop };
    },
    async close() {
      for (const stop of running) await stop();
      await flushTimers();
      await deleteTopics(kafka, [topic, `${topic}_dlq`]);
    },
  };
}

/** Rows of a table in the test schema. */
export async function countRows(db: ServiceHarness<Database>['db'], table: 'assignments' | 'routing_history'): Promise<number> {
  const { rows } = await sql<{ n: string }>`SELECT count(*) AS n FROM ${sql.table(table)}`.execute(db);
  return Number(rows[0]!.n);
}

/** Config through the real admin API: members, queues, rules. */
export function adminApi(t: Pick<RoutingTestApp, 'app'>, key: string) {
  async function post<T>(url: string, payload: object): Promise<T> {
    const res = await t.app.inject({ method: 'POST', url, headers: bearer(key), payload });
    if (res.statusCode !== 201) throw new Error(`POST ${url} answered ${res.statusCode}: ${res.body}`);
    return res.json() as T;
  }
  return {
    member: (body: Record<string, unknown> = {}) => post<{ id: string }>('/v1/members', { name: 'Rep', role: 'rep', timeZone: 'UTC', ...body }),
    queue: (body: Record<string, unknown> & { memberIds: string[]; fallbackMemberId: string }) => post<{ id: string }>('/v1/queues', { name: 'Queue', ...body }),
    rule: (body: Record<string, unknown> & { queueId: string }) => post<{ id: string }>('/v1/rules', { name: 'Rule', match: {}, ...body }),
  };
}
