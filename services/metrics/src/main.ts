import { startService } from '@baton/kit';
import { buildApp } from './app.js';
import { SERVICE_NAME, configSchema, type Config } from './config.js';
import { migrations } from './db/migrations/index.js';
import type { Database } from './db/schema.js';

// The composition root. startService loads config and opens the logger, the migrated Postgres
// schema and metrics; what `start` builds on top is listened on and closed on SIGTERM.
await startService<Config, Database, false>({
  name: SERVICE_NAME,
  configSchema,
  migrations,
  redis: false,
  start: async ({ config, logger, db, metrics, messaging }) => ({
    app: await buildApp({ config, logger, db, metrics, messaging }),
  }),
});
