import { createIdentity, identityMigrations, loadConfig, migrateToLatest, type HttpApp, type Identity, type Scope, type Logger, type Tenant, type TenantSettings } from '@baton/kit';
import { openServiceHarness, uniqueName, type ServiceHarness } from '@baton/testing';
import { sql } from 'kysely';
import { buildApp } from '../src/app.js';
import { SERVICE_NAME, configSchema } from '../src/config.js';
import { migrations } from '../src/db/migrations/index.js';
import type { Database } from '../src/db/schema.js';

/** A clock tests can move; reads real time until set. */
export type TestClock = { now: () => Date; set(at: Date): void; reset(): void };

function testClock(): TestClock {
  let fixed: Date | undefined;
  return { now: () => fixed ?? new Date(), set: (at) => (fixed = at), reset: () => (fixed = undefined) };
}

/** The capture app on a throwaway schema, with a fresh tenant and keys for it. */
export type CaptureTestApp = {
  harness: ServiceHarness<Database>;
  app: HttpApp;
  identity: Identity;
  tenant: Tenant;
  clock: TestClock;
  /** Keys of the tenant: write (leads:write + leads:read), read (leads:read only). */
  keys: { write: string; read: string };
  /** A fresh tenant with its own read+write key. */
  newTenant(settings?: TenantSettings, defaultRegion?: string): Promise<{ tenant: Tenant; key: string }>;
  close(): Promise<void>;
};

/** Bearer header for a key. */
export const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

/** Opens the app; identity lives in the shared `identity` schema, so each file makes its own tenants. */
export async function openCaptureApp(opts: { settings?: TenantSettings; defaultRegion?: string; logger?: Logger; eventsTopic?: string } = {}): Promise<CaptureTestApp> {
  const harness = await openServiceHarness<Database>(SERVICE_NAME, migrations);
  await migrateToLatest(harness.db, { schema: 'identity', migrations: identityMigrations });
  const identity = createIdentity({ db: harness.db });
  const clock = testClock();
  const config = loadConfig(configSchema, harness.env);
  const logger = opts.logger ?? harness.logger;
  const app = await buildApp({ ...harness, logger, config, identity, clock: clock.now, rateLimitNameSpace: `${harness.schema}:`, eventsTopic: opts.eventsTopic });
  const newTenant = async (settings: TenantSettings = {}, defaultRegion = 'US') => {
    const slug = uniqueName('capture').replace(/_/g, '-');
    const tenant = await identity.createTenant({ slug, defaultRegion, settings });
    const { key } = await identity.createApiKey({ tenantSlug: slug, scopes: ['leads:write', 'leads:read'] satisfies Scope[] });
    return { tenant, key };
  };
  const { tenant, key } = await newTenant(opts.settings, opts.defaultRegion);
  const { key: read } = await identity.createApiKey({ tenantSlug: tenant.slug, scopes: ['leads:read'] });
  return {
    harness, app, identity, tenant, clock, newTenant,
    keys: { write: key, read },
    async close() {
      await app.close();
      await harness.close();
    },
  };
}

/** Rows in the tables a rejected request must leave untouched. */
export async function storedCounts(harness: ServiceHarness<Database>): Promise<{ leads: number; activities: number; outbox: number; idempotency: number }> {
  const { rows } = await sql<{ leads: string; activities: string; outbox: string; idempotency: string }>`
    SELECT (SELECT count(*) FROM leads) AS leads, (SELECT count(*) FROM activities) AS activities,
           (SELECT count(*) FROM outbox) AS outbox, (SELECT count(*) FROM idempotency_keys) AS idempotency`.execute(harness.db);
  const row = rows[0]!;
  return { leads: Number(row.leads), activities: Number(row.activities), outbox: Number(row.outbox), idempotency: Number(row.idempotency) };
}

let phoneSeq = Math.floor(Math.random() * 1_000_000);

/** A valid US phone number (San Francisco area code) that no other call in this process returns. */
export function uniquePhone(): string {
  phoneSeq += 1;
  return `+1415${2_000_000 + (phoneSeq % 8_000_000)}`;
}

/** An email no other call returns. */
export const uniqueEmail = (): string => `${uniqueName('lead')}@example.com`;
