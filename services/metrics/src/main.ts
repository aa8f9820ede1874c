import { startService } from '@baton/kit';
import { buildApp } from './app.js';
import { SERVICE_NAME, configSchema, type Config } from './config.js';
import { migrations } from './db/migrations/index.js';
import type { Database } from './db/schema.js';
import { startPipeline } from './pipeline.js';

// The composition root. startService loads config and opens the logger, the migrated Postgres schema,
// identity, Redis (rate limits), metrics and Kafka; on top of them run the lifecycle consumer (group
// 'metrics': audit log + projection queue) and the projector (journeys + rollups), and the HTTP app.
await startService<Config, Database, true>({
  name: SERVICE_NAME,
  configSchema,
  migrations,
  redis: true,
  start: async ({ config, logger, db, redis, metrics, messaging, identity }) => {
    const shutdown = await startPipeline(
      { db, logger, messaging, metrics },
      {
        groupId: 'metrics',
        partitionsConsumedConcurrently: config.CONSUMER_CONCURRENCY,
        chunkSize: config.CONSUMER_CHUNK_SIZE,
        batchSize: config.PROJECTOR_BATCH_SIZE,
        idleMs: config.PROJECTOR_IDLE_MS,
      },
    );
    return { app: await buildApp({ config, logger, db, redis, metrics, messaging, identity }), shutdown };
  },
});
