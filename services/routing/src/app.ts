import { buildServiceApp, type HttpApp, type Identity, type Redis, type ServiceAppDeps } from '@baton/kit';
import type { Kysely } from 'kysely';
import { SERVICE_NAME, type Config } from './config.js';
import type { Database } from './db/schema.js';
import type { Timer } from './domain/assignment.js';
import { registerLeadRoutes } from './routes/leads.routes.js';
import { registerMemberRoutes } from './routes/members.routes.js';
import { registerQueueRoutes } from './routes/queues.routes.js';
import { registerRuleRoutes } from './routes/rules.routes.js';

// Kept in step with package.json by hand: importing JSON would need import attributes in every runner.
const SERVICE_VERSION = '0.1.0';

/** What the HTTP app needs; startRouting builds it, tests build it against real Postgres and Redis. */
export type AppDeps = Omit<ServiceAppDeps, 'config' | 'db'> & {
  config: Config;
  db: Kysely<Database>;
  redis: Redis;
  /** Tenants and API keys: authenticates callers. */
  identity: Identity;
  /** Adds SLA timers to BullMQ (claims start first-touch clocks, releases new claim clocks). */
  schedule: (timers: readonly Timer[]) => Promise<void>;
  /** The clock domain decisions read; tests pass their own. */
  clock?: () => Date;
};

/** Builds the routing HTTP app without listening. */
export async function buildApp(deps: AppDeps): Promise<HttpApp> {
  const app = await buildServiceApp({
    name: SERVICE_NAME,
    version: SERVICE_VERSION,
    description: 'Assigns captured leads to queues and owners, and watches their claim and first-touch deadlines.',
    tags: [
      { name: 'members', description: 'People leads are routed to: role, zone, working hours, absences, weight, caps' },
      { name: 'queues', description: 'Rotations with SLAs, escalation ladders and a fallback; their backlog' },
      { name: 'rules', description: 'Ordered rules that pick a queue for each captured lead' },
      { name: 'leads', description: 'Claim, release and the routing record of one lead' },
    ],
    deps,
  });
  const routeDeps = { db: deps.db, clock: deps.clock ?? (() => new Date()), topic: deps.config.ROUTING_TOPIC, schedule: deps.schedule };
  registerMemberRoutes(app, routeDeps);
  registerQueueRoutes(app, routeDeps);
  registerRuleRoutes(app, routeDeps);
  registerLeadRoutes(app, routeDeps);
  return app;
}
