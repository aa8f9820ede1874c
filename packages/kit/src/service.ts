import type { Kysely, Migration } from 'kysely';
import type { z } from 'zod';
import { loadConfig, type BaseConfig } from './config.js';
import { createDatabase, migrateToLatest, type DatabaseHandle } from './db.js';
import type { HttpApp } from './http/types.js';
import { onShutdown, runMain, type ShutdownStep } from './lifecycle.js';
import { createIdentity, identityMigrations, type Identity } from './identity/index.js';
import { createLogger, type Logger } from './logger.js';
import { startMessaging, type Messaging } from './messaging.js';
import { createMetrics, type MetricsRegistry } from './metrics.js';
import { closeRedis, createRedis, type Redis } from './redis.js';

/** What startService opens before handing over to the service's own start function. */
export type ServiceInfra<C extends BaseConfig, DB, R extends boolean> = {
  config: C;
  logger: Logger;
  db: Kysely<DB>;
  database: DatabaseHandle<DB>;
  redis: R extends true ? Redis : undefined;
  metrics: MetricsRegistry;
  /** Kafka client, producer and the running outbox relay of this service's schema. */
  messaging: Messaging;
  /** Tenants and API keys (schema `identity`), for registerAuth and tenant settings. */
  identity: Identity;
};

/** What a service's start function returns: its app, plus resources to close after HTTP and before Redis/Postgres. */
export type ServiceStarted = { app: HttpApp; shutdown?: ShutdownStep[] };

/** A service's start-up recipe for startService. */
export type ServiceDefinition<C extends BaseConfig, DB, R extends boolean> = {
  /** Process name, log `service` field, metrics label and Postgres schema. */
  name: string;
  configSchema: z.ZodType<C, any>;
  migrations: Record<string, Migration>;
  redis: R;
  start: (infra: ServiceInfra<C, DB, R>) => Promise<ServiceStarted>;
};

/** The start-up sequence every service shares: config, logger, Postgres + migrations, Redis, metrics, listen, shutdown. */
export function startService<C extends BaseConfig, DB, R extends boolean>(def: ServiceDefinition<C, DB, R>): Promise<void> {
  return runMain(def.name, async () => {
    const config = loadConfig(def.configSchema);
    const logger = createLogger({ name: def.name, level: config.LOG_LEVEL });
    const database = createDatabase<DB>({ url: config.DATABASE_URL, schema: def.name, logger });
    // Identity first: every service authenticates against it, and its migrations are shared.
    await migrateToLatest(database.db, { schema: 'identity', migrations: identityMigrations, logger });
    await migrateToLatest(database.db, { schema: def.name, migrations: def.migrations, logger });
    const identity = createIdentity({ db: database.db, logger });
    const redis = def.redis ? createRedis(config.REDIS_URL, { name: def.name, autoPipelining: true, logger }) : undefined;
    const metrics = createMetrics(def.name);
    const messaging = await startMessaging({ service: def.name, config, logger, database, metrics });
    // redis is set exactly when def.redis is true; TypeScript cannot narrow R from that runtime value.
    const infra = { config, logger, db: database.db, database, redis, metrics, messaging, identity } as ServiceInfra<C, DB, R>;
    const { app, shutdown = [] } = await def.start(infra);
    await app.listen({ port: config.PORT, host: config.HOST });
    // HTTP and consumers first so no new work arrives, then the service's own resources (queues the handlers
    // used), then the relay and producer, then the shared clients everything used.
    onShutdown(
      logger,
      [
        { name: 'http', close: () => app.close() },
        messaging.stopConsumers,
        ...shutdown,
        ...messaging.shutdown,
        ...(redis ? [{ name: 'redis', close: () => closeRedis(redis) }] : []),
        { name: 'postgres', close: database.close },
      ],
      { timeoutMs: config.SHUTDOWN_TIMEOUT_MS },
    );
  });
}
