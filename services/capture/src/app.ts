import { buildServiceApp, type HttpApp, type Identity, type Redis, type ServiceAppDeps } from '@baton/kit';
import { LIFECYCLE_TOPIC } from '@baton/contracts';
import type { Kysely } from 'kysely';
import { SERVICE_NAME, type Config } from './config.js';
import { createNewLeadBatcher } from './db/new-lead-batcher.js';
import type { Database } from './db/schema.js';
import { registerActivityRoutes } from './routes/activities.routes.js';
import { registerBatchRoutes } from './routes/leads-batch.routes.js';
import { registerLeadRoutes } from './routes/leads.routes.js';

// Kept in step with package.json by hand: importing JSON would need import attributes in every runner.
const SERVICE_VERSION = '0.1.0';

/** What the HTTP app needs; main.ts builds it, tests build it against real Postgres and Redis. */
export type AppDeps = Omit<ServiceAppDeps, 'config' | 'db'> & {
  config: Config;
  db: Kysely<Database>;
  redis: Redis;
  /** Tenants and API keys: authenticates callers and supplies tenant settings. */
  identity: Identity;
  /** The clock domain decisions read; tests pass a fixed one. */
  clock?: () => Date;
  /** Where lifecycle events go: lead-lifecycle.v1, except in tests that read their own topic. */
  eventsTopic?: string;
};

/** Builds the capture HTTP app without listening. */
export async function buildApp(deps: AppDeps): Promise<HttpApp> {
  const app = await buildServiceApp({
    name: SERVICE_NAME,
    version: SERVICE_VERSION,
    description: 'Records leads and their activities from other systems, and emits the lead lifecycle events that follow.',
    tags: [
      { name: 'leads', description: 'Capture leads (one or a batch), read them, page through changes' },
      { name: 'activities', description: 'What happened to a lead after capture: attempts, contact, qualification, outcome' },
    ],
    deps,
  });
  const routeDeps = { db: deps.db, newLeads: createNewLeadBatcher(deps.db), identity: deps.identity, clock: deps.clock ?? (() => new Date()), topic: deps.eventsTopic ?? LIFECYCLE_TOPIC };
  registerLeadRoutes(app, routeDeps);
  registerBatchRoutes(app, { ...routeDeps, bodyLimit: deps.config.BATCH_BODY_LIMIT_BYTES });
  registerActivityRoutes(app, routeDeps);
  return app;
}
