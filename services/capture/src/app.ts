import { buildHttpApp, type Messaging, pingPostgres, pingRedis, type HttpApp, type Logger, type MetricsRegistry, type Redis } from '@baton/kit';
import type { Kysely } from 'kysely';
import { SERVICE_NAME, type Config } from './config.js';
import type { Database } from './db/schema.js';

// Kept in step with package.json by hand: importing JSON would need import attributes in every runner.
const SERVICE_VERSION = '0.1.0';

/** What the HTTP app needs; main.ts builds it, tests build it against real Postgres and Redis. */
export type AppDeps = {
  config: Config;
  logger: Logger;
  db: Kysely<Database>;
  redis: Redis;
  metrics: MetricsRegistry;
  /** The Kafka connection, for readiness (and, as features arrive, consumers). */
  messaging: Pick<Messaging, 'ping'>;
};

/** Builds the capture HTTP app without listening. */
export async function buildApp(deps: AppDeps): Promise<HttpApp> {
  const app = await buildHttpApp({
    name: SERVICE_NAME,
    version: SERVICE_VERSION,
    logger: deps.logger,
    bodyLimit: deps.config.BODY_LIMIT_BYTES,
    metrics: deps.metrics,
    readiness: {
      postgres: () => pingPostgres(deps.db),
      kafka: () => deps.messaging.ping(),
      // Redis carries rate limits; without it the service cannot do its job.
      redis: () => pingRedis(deps.redis),
    },
    openapi: { description: 'Records leads and their activities from other systems, and emits the lead lifecycle events that follow.' },
  });
  // Feature routes (src/routes/) register here as they arrive.
  return app;
}
