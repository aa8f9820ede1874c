import { startService } from '@baton/kit';
import { SERVICE_NAME, configSchema, type Config } from './config.js';
import { migrations } from './db/migrations/index.js';
import type { Database } from './db/schema.js';
import { startRouting } from './routing.js';

// The composition root. startService loads config and opens the logger, the migrated Postgres schema, identity,
// Redis, metrics and Kafka (topics, producer, outbox relay); startRouting adds the SLA timers, the 'routing'
// consumer and the app, whose resources close on SIGTERM after HTTP and before Kafka, Redis and Postgres.
await startService<Config, Database, true>({
  name: SERVICE_NAME,
  configSchema,
  migrations,
  redis: true,
  start: async (infra) => {
    const { app, shutdown } = await startRouting(infra);
    return { app, shutdown };
  },
});
