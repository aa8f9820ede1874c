import { loadConfig } from '@baton/kit';
import { sql } from 'kysely';
import { SERVICE_NAME, configSchema } from '../src/config.js';
import { COUNTER_NAMES } from '../src/domain/counters.js';
import { openMetricsApp, type MetricsTestApp } from './support.js';

describe('metrics app', () => {
  let t: MetricsTestApp;

  beforeAll(async () => {
    t = await openMetricsApp();
  });

  afterAll(() => t.close());

  it('defaults to port 3005', () => {
    expect(loadConfig(configSchema, {}).PORT).toBe(3005);
  });

  it('is ready when its dependencies answer', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/readyz' });
    expect(res.json()).toEqual({ status: 'ready', checks: { postgres: { status: 'ok' }, kafka: { status: 'ok' }, redis: { status: 'ok' } } });
  });

  it('keeps its tables in its own schema, with one rollup column per counter of the fold', async () => {
    const { rows } = await sql<{ table_name: string }>`
      SELECT table_name FROM information_schema.tables WHERE table_schema = ${t.harness.schema} ORDER BY table_name`.execute(t.harness.db);
    expect(rows.map((r) => r.table_name)).toEqual(expect.arrayContaining(['audit_log', 'inbox', 'intake', 'journeys', 'outbox', 'rollups']));
    const { rows: columns } = await sql<{ column_name: string }>`
      SELECT column_name FROM information_schema.columns WHERE table_schema = ${t.harness.schema} AND table_name = 'rollups'
      ORDER BY ordinal_position`.execute(t.harness.db);
    expect(columns.map((c) => c.column_name).slice(5)).toEqual(COUNTER_NAMES);
  });

  it('refuses to edit the audit log', async () => {
    await sql`INSERT INTO audit_log (event_id, tenant_id, lead_id, type, source, event_time, correlation_id, envelope)
      VALUES (gen_random_uuid(), 't', gen_random_uuid(), 'lead.updated', 's', now(), 'c', '{}')`.execute(t.harness.db);
    await expect(sql`UPDATE audit_log SET type = 'x'`.execute(t.harness.db)).rejects.toThrow(/append-only/);
    await expect(sql`DELETE FROM audit_log`.execute(t.harness.db)).rejects.toThrow(/append-only/);
  });

  it('documents the funnel, leakage, scorecard and timeline routes', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/docs/json' });
    expect(res.json()).toMatchObject({ info: { title: SERVICE_NAME } });
    expect(Object.keys(res.json().paths)).toEqual(expect.arrayContaining(['/v1/funnel', '/v1/leakage', '/v1/scorecard', '/v1/leads/{id}/timeline']));
  });
});
