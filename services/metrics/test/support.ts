import { encodeEvent, type LifecycleEvent } from '@baton/contracts';
import { deleteTopics, ensureTopics } from '@baton/kafka';
import {
  createIdentity,
  identityMigrations,
  loadConfig,
  migrateToLatest,
  runShutdown,
  startMessaging,
  type HttpApp,
  type Identity,
  type Messaging,
  type Scope,
  type ShutdownStep,
} from '@baton/kit';
import { openServiceHarness, uniqueName, type ServiceHarness } from '@baton/testing';
import { sql } from 'kysely';
import { buildApp } from '../src/app.js';
import { SERVICE_NAME, configSchema, type Config } from '../src/config.js';
import { migrations } from '../src/db/migrations/index.js';
import type { Database } from '../src/db/schema.js';
import { startPipeline } from '../src/pipeline.js';
import { drainIntake } from '../src/projection/projector.js';

/** The metrics app on a throwaway schema, with helpers for tenants and keys. */
export type MetricsTestApp = {
  harness: ServiceHarness<Database>;
  config: Config;
  app: HttpApp;
  identity: Identity;
  /** What the leakage route takes as "now". */
  now: Date;
  /** A fresh tenant and a key of it with these scopes. */
  newTenant(scopes?: Scope[]): Promise<{ tenantId: string; slug: string; key: string }>;
  close(): Promise<void>;
};

/** Bearer header for a key. */
export const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

/** Opens the app; identity lives in the shared `identity` schema, so each file makes its own tenants. */
export async function openMetricsApp(now = new Date('2025-04-02T00:00:00Z')): Promise<MetricsTestApp> {
  const harness = await openServiceHarness<Database>(SERVICE_NAME, migrations);
  await migrateToLatest(harness.db, { schema: 'identity', migrations: identityMigrations });
  const identity = createIdentity({ db: harness.db });
  const config = loadConfig(configSchema, harness.env);
  const app = await buildApp({ ...harness, config, identity, clock: () => now, rateLimitNameSpace: `${harness.schema}:` });
  return {
    harness, config, app, identity, now,
    async newTenant(scopes = ['funnel:read']) {
      const slug = uniqueName('metrics').replace(/_/g, '-');
      const tenant = await identity.createTenant({ slug });
      const { key } = await identity.createApiKey({ tenantSlug: slug, scopes });
      return { tenantId: tenant.id, slug, key };
    },
    async close() {
      await app.close();
      await harness.close();
    },
  };
}

/** The real consumer and projector of this service, on a topic of the test's own. */
export type LivePipeline = {
  /** Publishes events in the given order (keyed by lead, as producers do). */
  publish(events: readonly LifecycleEvent[]): Promise<void>;
  /** Waits until `count` distinct events of these tenants are in the audit log and folded into the projections. */
  settled(tenantIds: readonly string[], count: number): Promise<void>;
  close(): Promise<void>;
};

/** Starts messaging, a unique topic and the service's pipeline (consumer group unique to the test file). */
export async function startLivePipeline(t: MetricsTestApp): Promise<LivePipeline> {
  const messaging: Messaging = await startMessaging({ service: t.harness.schema, config: t.config, logger: t.harness.logger, database: t.harness, metrics: t.harness.metrics });
  const topic = uniqueName('metrics_flow');
  await ensureTopics(messaging.client, [{ name: topic, partitions: 3 }]);
  const steps: ShutdownStep[] = await startPipeline(
    { db: t.harness.db, logger: t.harness.logger, messaging, metrics: t.harness.metrics },
    { groupId: topic, topics: [topic], partitionsConsumedConcurrently: 3, chunkSize: 100, batchSize: 50, idleMs: 100 },
  );
  return {
    publish: (events) => messaging.publisher.publish(events.map((event) => ({ topic, key: event.subject, value: encodeEvent(event) }))),
    async settled(tenantIds, count) {
      const deadline = Date.now() + 45_000;
      for (;;) {
        const { rows } = await sql<{ n: string }>`SELECT count(*) AS n FROM audit_log WHERE tenant_id = ANY(${[...tenantIds]}::text[])`.execute(t.harness.db);
        if (Number(rows[0]?.n) >= count) break;
        if (Date.now() > deadline) throw new Error(`only ${rows[0]?.n} of ${count} events arrived`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      await drainIntake(t.harness.db);
    },
    async close() {
      await runShutdown(t.harness.logger, [messaging.stopConsumers, ...steps, ...messaging.shutdown], 20_000);
      await deleteTopics(messaging.client, [topic]);
    },
  };
}
