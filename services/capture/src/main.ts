import { startIdempotencyPurge, startService } from '@baton/kit';
import { buildApp } from './app.js';
import { SERVICE_NAME, configSchema, type Config } from './config.js';
import { migrations } from './db/migrations/index.js';
import type { Database } from './db/schema.js';

// The composition root. startService loads config and opens the logger, the migrated Postgres schema,
// identity, Redis, metrics and Kafka (topics, producer, outbox relay); what `start` builds on top is
// listened on and closed on SIGTERM.
await startService<Config, Database, true>({
  name: SERVICE_NAME,
  configSchema,
  migrations,
  redis: true,
  start: async ({ config, logger, db, redis, metrics, messaging, identity }) => ({
    app: await buildApp({ config, logger, db, redis, metrics, messaging, identity }),
    // Idempotency keys are kept 24 h; expired ones are purged in the background.
    shutdown: [startIdempotencyPurge(db, { logger })],
  }),
});
