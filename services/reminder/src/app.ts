import { buildServiceApp, type HttpApp, type Redis, type ServiceAppDeps } from '@baton/kit';
import type { Kysely } from 'kysely';
import { SERVICE_NAME, type Config } from './config.js';
import type { Database } from './db/schema.js';

// Kept in step with package.json by hand: importing JSON would need import attributes in every runner.
const SERVICE_VERSION = '0.1.0';

/** What the HTTP app needs; main.ts builds it, tests build it against real Postgres and Redis. */
export type AppDeps = Omit<ServiceAppDeps, 'config' | 'db'> & { config: Config; db: Kysely<Database>; redis: Redis };

/** Builds the reminder HTTP app without listening. */
export async function buildApp(deps: AppDeps): Promise<HttpApp> {
  const app = await buildServiceApp({
    name: SERVICE_NAME,
    version: SERVICE_VERSION,
    description: 'Plans and sends appointment reminders through the BullMQ reminder queue.',
    deps,
  });
  // Feature routes (src/routes/) register here as they arrive.
  return app;
}
