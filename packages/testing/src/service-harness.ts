import { createKafkaClient } from '@baton/kafka';
import {
  closeRedis,
  createDatabase,
  createLogger,
  createMetrics,
  createRedis,
  migrateToLatest,
  type Logger,
  type MetricsRegistry,
  type Redis,
} from '@baton/kit';
import { sql, type Kysely, type Migration } from 'kysely';
import type pg from 'pg';
import { testEnv, uniqueName } from './env.js';

/** What a service's buildApp needs besides its config, opened against the real test infrastructure. */
export type ServiceHarness<DB> = {
  /** A schema of its own, so test files can run in parallel. */
  schema: string;
  logger: Logger;
  db: Kysely<DB>;
  /** The pool under `db` (the outbox relay takes it). */
  pool: pg.Pool;
  redis: Redis;
  metrics: MetricsRegistry;
  messaging: { ping: () => Promise<void> };
  /** Environment for the service's loadConfig, pointing at the test infrastructure. */
  env: Record<string, string>;
  /** Drops the schema and closes every connection. */
  close(): Promise<void>;
};

/** Opens a migrated throwaway schema, Redis, a metrics registry and a Kafka client for one service's tests. */
export async function openServiceHarness<DB>(service: string, migrations: Record<string, Migration>): Promise<ServiceHarness<DB>> {
  const env = testEnv();
  const schema = uniqueName(`${service}_test`);
  const logger = createLogger({ name: service, level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const database = createDatabase<DB>({ url: env.databaseUrl, schema, max: 4 });
  await migrateToLatest(database.db, { schema, migrations });
  const redis = createRedis(env.redisUrl, { name: `${service}-test` });
  const kafka = createKafkaClient({ brokers: env.kafkaBrokers, clientId: `${service}-test`, logger });
  return {
    schema,
    logger,
    db: database.db,
    pool: database.pool,
    redis,
    metrics: createMetrics(service),
    messaging: { ping: () => kafka.ping() },
    env: { DATABASE_URL: env.databaseUrl, REDIS_URL: env.redisUrl, KAFKA_BROKERS: env.kafkaBrokers.join(',') },
    async close() {
      await kafka.close();
      await closeRedis(redis);
      await sql`DROP SCHEMA IF EXISTS ${sql.id(schema)} CASCADE`.execute(database.db);
      await database.close();
    },
  };
}
