import { loadConfig, type HttpApp } from '@baton/kit';
import { sql } from 'kysely';
import { SERVICE_NAME, configSchema } from '../src/config.js';
import { openCaptureApp, type CaptureTestApp } from './support.js';

describe('capture app', () => {
  let t: CaptureTestApp;
  let app: HttpApp;

  beforeAll(async () => {
    t = await openCaptureApp();
    app = t.app;
  });

  afterAll(async () => {
    await t.close();
  });

  it('defaults to port 3001 and 6000 requests a minute per key', () => {
    const config = loadConfig(configSchema, {});
    expect(config.PORT).toBe(3001);
    expect(config.RATE_LIMIT_PER_MINUTE).toBe(6000);
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

  it('keeps leads, activities, idempotency keys, an outbox and an inbox in its own schema', async () => {
    const { rows } = await sql<{ table_name: string }>`
      SELECT table_name FROM information_schema.tables WHERE table_schema = ${t.harness.schema} ORDER BY table_name`.execute(t.harness.db);
    expect(rows.map((r) => r.table_name)).toEqual(expect.arrayContaining(['activities', 'idempotency_keys', 'inbox', 'leads', 'outbox']));
  });

  it('documents every endpoint in its OpenAPI document', async () => {
    const res = await app.inject({ method: 'GET', url: '/docs/json' });
    const doc = res.json();
    expect(doc).toMatchObject({ info: { title: SERVICE_NAME } });
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/v1/leads', '/v1/leads/batch', '/v1/leads/{id}', '/v1/leads/{id}/activities']),
    );
    expect(doc.paths['/v1/leads'].post.requestBody).toBeDefined();
    expect(doc.components.schemas).toHaveProperty('NewLeadInput');
  });
});
