import { loadConfig } from '@baton/kit';
import { sql } from 'kysely';
import { SERVICE_NAME, configSchema } from '../src/config.js';
import { adminApi, bearer, openRoutingApp, type RoutingTestApp } from './support.js';

describe('routing app', () => {
  let t: RoutingTestApp;

  beforeAll(async () => {
    t = await openRoutingApp();
  });

  afterAll(async () => {
    await t.close();
  });

  it('defaults to port 3002', () => {
    expect(loadConfig(configSchema, {}).PORT).toBe(3002);
  });

  it('answers /healthz', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/healthz' });
    expect(res.statusCode).toBe(200);
  });

  it('is ready when its dependencies answer', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/readyz' });
    expect(res.json()).toEqual({ status: 'ready', checks: { postgres: { status: 'ok' }, kafka: { status: 'ok' }, redis: { status: 'ok' } } });
    expect(res.statusCode).toBe(200);
  });

  it('keeps its tables, an outbox and an inbox in its own schema', async () => {
    const { rows } = await sql<{ table_name: string }>`
      SELECT table_name FROM information_schema.tables WHERE table_schema = ${t.harness.schema} ORDER BY table_name`.execute(t.harness.db);
    expect(rows.map((r) => r.table_name)).toEqual(expect.arrayContaining(['inbox', 'outbox', 'idempotency_keys', 'members', 'queues', 'rules', 'assignments', 'routing_history']));
  });

  it('documents its API at /docs', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/docs/json' });
    const doc = res.json() as { info: { title: string }; paths: Record<string, unknown> };
    expect(doc.info.title).toBe(SERVICE_NAME);
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/v1/members', '/v1/queues/{id}', '/v1/rules', '/v1/leads/{id}/claim', '/v1/leads/{id}/routing', '/v1/queues/{id}/backlog']));
  });

  describe('configuration API', () => {
    it('answers 401 without a key and 403 without routing:admin', async () => {
      expect((await t.app.inject({ method: 'GET', url: '/v1/members' })).statusCode).toBe(401);
      expect((await t.app.inject({ method: 'GET', url: '/v1/members', headers: bearer(t.keys.act) })).statusCode).toBe(403);
    });

    it('creates, reads, changes and lists members', async () => {
      const api = adminApi(t, t.keys.admin);
      const hours = { mon: [{ start: '09:00', end: '17:00' }] };
      const { id } = await api.member({ name: 'Ada', role: 'setter', timeZone: 'Europe/Paris', workingHours: hours, weight: 3, caps: { maxOpen: 5 } });
      const patched = await t.app.inject({ method: 'PATCH', url: `/v1/members/${id}`, headers: bearer(t.keys.admin), payload: { active: false } });
      expect(patched.json()).toMatchObject({ id, role: 'setter', workingHours: hours, weight: 3, caps: { maxOpen: 5, maxPerDay: null }, active: false });
      const list = await t.app.inject({ method: 'GET', url: '/v1/members', headers: bearer(t.keys.admin) });
      expect((list.json() as Array<{ id: string }>).map((m) => m.id)).toContain(id);
    });

    it('rejects malformed working hours with a 400 naming the field', async () => {
      const res = await t.app.inject({ method: 'POST', url: '/v1/members', headers: bearer(t.keys.admin), payload: { name: 'X', role: 'rep', timeZone: 'Mars/Base', workingHours: { mon: [{ start: '17:00', end: '09:00' }] } } });
      expect(res.statusCode).toBe(400);
      const fields = (res.json() as { errors: Array<{ field: string }> }).errors.map((e) => e.field);
      expect(fields).toEqual(expect.arrayContaining(['body.timeZone', 'body.workingHours.mon.0.end']));
    });

    it('answers 400 naming each unknown member of a queue, including another tenant\'s', async () => {
      const api = adminApi(t, t.keys.admin);
      const other = await t.newTenant();
      const { id: foreign } = await adminApi(t, other.admin).member();
      const { id: mine } = await api.member();
      const res = await t.app.inject({ method: 'POST', url: '/v1/queues', headers: bearer(t.keys.admin), payload: { name: 'Q', memberIds: [mine, foreign], fallbackMemberId: '00000000-0000-4000-8000-000000000000' } });
      expect(res.statusCode).toBe(400);
      expect((res.json() as { errors: Array<{ field: string }> }).errors.map((e) => e.field)).toEqual(['body.memberIds.1', 'body.fallbackMemberId']);
    });

    it('answers 404 for another tenant\'s member, queue and rule', async () => {
      const other = await t.newTenant();
      const api = adminApi(t, other.admin);
      const { id: member } = await api.member();
      const { id: queue } = await api.queue({ memberIds: [member], fallbackMemberId: member });
      const { id: rule } = await api.rule({ queueId: queue });
      for (const url of [`/v1/members/${member}`, `/v1/queues/${queue}`, `/v1/rules/${rule}`, `/v1/queues/${queue}/backlog`]) {
        const key = url.endsWith('backlog') ? t.keys.act : t.keys.admin;
        expect((await t.app.inject({ method: 'GET', url, headers: bearer(key) })).statusCode).toBe(404);
      }
      const rogue = await t.app.inject({ method: 'POST', url: '/v1/rules', headers: bearer(t.keys.admin), payload: { name: 'R', queueId: queue, match: {} } });
      expect(rogue.statusCode).toBe(400);
      expect(rogue.json()).toMatchObject({ errors: [{ field: 'body.queueId' }] });
    });

    it('keeps one default queue, orders rules and refuses to delete what is in use', async () => {
      const api = adminApi(t, t.keys.admin);
      const { id: m } = await api.member();
      const first = await api.queue({ memberIds: [m], fallbackMemberId: m, isDefault: true });
      const second = await api.queue({ memberIds: [m], fallbackMemberId: m, isDefault: true, escalation: { claim: [{ target: { role: 'manager' }, action: 'notify', afterSeconds: 60 }] } });
      const firstNow = await t.app.inject({ method: 'GET', url: `/v1/queues/${first.id}`, headers: bearer(t.keys.admin) });
      expect(firstNow.json()).toMatchObject({ isDefault: false, claimSlaSeconds: 300 });
      const rule = await api.rule({ queueId: second.id, match: { country: ['DE'] } });
      expect((await t.app.inject({ method: 'DELETE', url: `/v1/queues/${second.id}`, headers: bearer(t.keys.admin) })).statusCode).toBe(409);
      expect((await t.app.inject({ method: 'DELETE', url: `/v1/members/${m}`, headers: bearer(t.keys.admin) })).statusCode).toBe(409);
      expect((await t.app.inject({ method: 'DELETE', url: `/v1/rules/${rule.id}`, headers: bearer(t.keys.admin) })).statusCode).toBe(204);
    });

    it('replays a POST with the same Idempotency-Key and refuses the key for another body', async () => {
      const headers = { ...bearer(t.keys.admin), 'idempotency-key': 'member-once' };
      const first = await t.app.inject({ method: 'POST', url: '/v1/members', headers, payload: { name: 'Once', role: 'rep', timeZone: 'UTC' } });
      const again = await t.app.inject({ method: 'POST', url: '/v1/members', headers, payload: { name: 'Once', role: 'rep', timeZone: 'UTC' } });
      expect(again.json()).toEqual(first.json());
      expect(again.headers['idempotent-replayed']).toBe('true');
      const other = await t.app.inject({ method: 'POST', url: '/v1/members', headers, payload: { name: 'Twice', role: 'rep', timeZone: 'UTC' } });
      expect(other.statusCode).toBe(422);
    });
  });
});
