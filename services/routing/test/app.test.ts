import { loadConfig, type HttpApp } from '@baton/kit';
import { openServiceHarness, type ServiceHarness } from '@baton/testing';
import { sql } from 'kysely';
import { buildApp } from '../src/app.js';
import { SERVICE_NAME, configSchema } from '../src/config.js';
import { migrations } from '../src/db/migrations/index.js';
import type { Database } from '../src/db/schema.js';

describe('routing app', () => {
  let harness: ServiceHarness<Database>;
  let app: HttpApp;

  beforeAll(async () => {
    harness = await openServiceHarness<Database>(SERVICE_NAME, migrations);
    app = await buildApp({ ...harness, config: loadConfig(configSchema, harness.env) });
  });

  afterAll(async () => {
    await app.close();
    await harness.close();
  });

  it('defaults to port 3002', () => {
    expect(loadConfig(configSchema, {}).PORT).toBe(3002);
  });

  it('answers /healthz', async () => {
    const res = await app.inject({ method: 'GET', url: '/healthz' });
    expect(res.statusCode).toBe(200);
  });

  it('is ready when its dependencies answer', async () => {
    const res = await app.inject({ method: 'GET', url: '/readyz' });
    expect(res.json()).toEqual({ status: 'ready', checks: { postgres: { status: 'ok' }, kafka: { status: 'ok' }, redis: { status: 'ok' } } });
    expect(res.statusCode).toBe(200);
  });

  it('keeps an outbox and an inbox in its own schema', async () => {
    const { rows } = await sql<{ table_name: string }>`
      SELECT table_name FROM information_schema.tables WHERE table_schema = ${harness.schema} ORDER BY table_name`.execute(harness.db);
    expect(rows.map((r) => r.table_name)).toEqual(expect.arrayContaining(['inbox', 'outbox']));
  });

  it('serves its OpenAPI document', async () => {
    const res = await app.inject({ method: 'GET', url: '/docs/json' });
    expect(res.json()).toMatchObject({ info: { title: SERVICE_NAME } });
  });
});
