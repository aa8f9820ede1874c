import { buildServiceApp, type HttpApp, type Identity, type Redis, type ServiceAppDeps } from '@baton/kit';
import type { Kysely } from 'kysely';
import { SERVICE_NAME, type Config } from './config.js';
import type { Database } from './db/schema.js';
import { registerFunnelRoutes } from './routes/funnel.routes.js';
import { registerLeakageRoutes } from './routes/leakage.routes.js';
import { registerTimelineRoutes } from './routes/timeline.routes.js';

// Kept in step with package.json by hand: importing JSON would need import attributes in every runner.
const SERVICE_VERSION = '0.1.0';

/** What the HTTP app needs; main.ts builds it, tests build it against real Postgres and Redis. */
export type AppDeps = Omit<ServiceAppDeps, 'config' | 'db'> & {
  config: Config;
  db: Kysely<Database>;
  redis: Redis;
  /** Tenants and API keys: authenticates callers. */
  identity: Identity;
  /** The clock leakage ages are measured against; tests pass a fixed one. */
  clock?: () => Date;
};

/** Builds the metrics HTTP app without listening. */
export async function buildApp(deps: AppDeps): Promise<HttpApp> {
  const app = await buildServiceApp({
    name: SERVICE_NAME,
    version: SERVICE_VERSION,
    description: 'Keeps the audit log of every lead event and answers funnel, leakage and scorecard queries.',
    tags: [
      { name: 'funnel', description: 'Cohort funnel, handoff scorecard and leakage' },
      { name: 'leads', description: "One lead's audit trail" },
    ],
    deps,
  });
  const routeDeps = { db: deps.db, clock: deps.clock ?? (() => new Date()) };
  registerFunnelRoutes(app, routeDeps);
  registerLeakageRoutes(app, routeDeps);
  registerTimelineRoutes(app, routeDeps);
  return app;
}
