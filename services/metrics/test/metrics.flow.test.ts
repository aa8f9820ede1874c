import type { LifecycleEvent } from '@baton/contracts';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { rebuildProjections } from '../src/projection/rebuild.js';
import { verifyProjections } from '../src/projection/verify.js';
import * as e from './fixtures/events.js';
import { O1, O2, O3, Q1, S1, distinct, tenantAHistories } from './fixtures/histories.js';
import { bearer, openMetricsApp, startLivePipeline, type LivePipeline, type MetricsTestApp } from './support.js';

// Given hand-built histories published to Kafka out of order and with duplicates, through the real consumer
// and projector, when ops teams ask, then the answers are exact (worked out by hand in fixtures/histories.ts),
// survive a rebuild, and equal the recount from the audit log.

describe('metrics through Kafka', () => {
  let t: MetricsTestApp;
  let live: LivePipeline;
  let a: { tenantId: string; key: string };
  let b: { tenantId: string; key: string };
  let h: ReturnType<typeof tenantAHistories>;
  const get = (url: string, key = a.key) => t.app.inject({ method: 'GET', url, headers: bearer(key) });

  beforeAll(async () => {
    t = await openMetricsApp();
    [a, b] = await Promise.all([t.newTenant(), t.newTenant()]);
    h = tenantAHistories(a.tenantId);
    const other = e.captured(e.newLead(b.tenantId), '2025-03-10T10:00:00Z', { entryPath: 'phone', score: 99 });
    live = await startLivePipeline(t);
    // Every lead's events newest first, then all of lead 1 again: out of order, and delivered twice.
    await live.publish([...h.events].reverse());
    await live.publish([...h.l1Events, other]);
    await live.settled([a.tenantId, b.tenantId], distinct(h.events) + 1);
  }, 90_000);

  afterAll(async () => {
    await live?.close();
    await t?.close();
  });

  const utcMarch = '/v1/funnel?from=2025-03-01&to=2025-04-01';

  it('answers the funnel of March (UTC) exactly', async () => {
    const res = await get(utcMarch);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      cohort: { from: '2025-03-01T00:00:00.000Z', to: '2025-04-01T00:00:00.000Z', tz: 'UTC' },
      groupBy: null,
      groups: [{
        key: null,
        stages: [
          { stage: 'captured', count: 5, conversionFromPrevious: null, conversionFromCapture: 1 },
          { stage: 'assigned', count: 3, conversionFromPrevious: 0.6, conversionFromCapture: 0.6 },
          { stage: 'claimed', count: 3, conversionFromPrevious: 1, conversionFromCapture: 0.6 },
          { stage: 'first_touch', count: 3, conversionFromPrevious: 0.6667, conversionFromCapture: 0.6 },
          { stage: 'contacted', count: 2, conversionFromPrevious: 0.6667, conversionFromCapture: 0.4 },
          { stage: 'qualified', count: 1, conversionFromPrevious: 0.5, conversionFromCapture: 0.2 },
          { stage: 'booked', count: 2, conversionFromPrevious: 1, conversionFromCapture: 0.4 },
          { stage: 'confirmed', count: 1, conversionFromPrevious: 0.5, conversionFromCapture: 0.2 },
          { stage: 'held', count: 1, conversionFromPrevious: 1, conversionFromCapture: 0.2 },
        ],
        durations: {
          captureToClaim: { count: 3, p50Seconds: 180, p90Seconds: 1200 },
          claimToFirstTouch: { count: 2, p50Seconds: 120, p90Seconds: 600 },
          captureToBooked: { count: 2, p50Seconds: 1800, p90Seconds: 3600 },
          bookedToHeld: { count: 1, p50Seconds: 259200, p90Seconds: 259200 },
        },
        appointments: { total: 3, held: 1, noShow: 1, cancelled: 1, open: 0, rescheduled: 1, reschedules: 2 },
        outcomes: { won: 1, lost: 0, nurture: 0, disqualified: 1 },
      }],
    });
  });

  it('reads dates in the zone asked for: March in Kathmandu starts at Feb 28 18:15 UTC', async () => {
    const res = await get('/v1/funnel?from=2025-03-01&to=2025-04-01&tz=Asia/Kathmandu&groupBy=owner');
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.cohort).toEqual({ from: '2025-02-28T18:15:00.000Z', to: '2025-03-31T18:15:00.000Z', tz: 'Asia/Kathmandu' });
    const counts = body.groups.map((g: { key: string | null; stages: Array<{ count: number }> }) => [g.key, g.stages.map((s) => s.count)]);
    expect(counts).toEqual([
      [O1, [2, 2, 2, 1, 1, 1, 1, 1, 1]],
      [null, [1, 0, 0, 1, 1, 0, 0, 0, 0]],
      [O2, [1, 1, 1, 0, 0, 0, 0, 0, 0]],
      [O3, [1, 1, 1, 1, 0, 0, 1, 0, 0]],
    ]);
  });

  it('groups by the setter and the meeting type of the latest booking', async () => {
    const bySetter = (await get(`${utcMarch}&groupBy=setter`)).json();
    expect(bySetter.groups.map((g: { key: string | null; stages: Array<{ count: number }> }) => [g.key, g.stages[0]?.count])).toEqual([[null, 3], [S1, 2]]);
    const byType = (await get(`${utcMarch}&groupBy=meeting_type`)).json();
    expect(byType.groups.map((g: { key: string | null }) => g.key)).toEqual([null, 'demo', 'discovery']);
  });

  it('scores the five handoff checks per entry path', async () => {
    const res = await get('/v1/scorecard?from=2025-03-01&to=2025-04-01');
    expect(res.statusCode).toBe(200);
    const card = (c: { checks: Array<{ check: string; passed: number; total: number; rate: number | null; score: number | null }> }) =>
      c.checks.map((x) => [x.check, x.passed, x.total, x.rate, x.score]);
    const body = res.json();
    expect(body.overall.score).toBe(2);
    expect(card(body.overall)).toEqual([
      ['capture_completeness', 3, 5, 0.6, 2], ['ownership_in_sla', 2, 5, 0.4, 1], ['first_touch_in_sla', 1, 3, 0.3333, 1],
      ['booking_confirmed', 1, 2, 0.5, 2], ['loop_closed', 3, 5, 0.6, 2],
    ]);
    expect(body.entryPaths.map((p: { entryPath: string; leads: number; score: number }) => [p.entryPath, p.leads, p.score])).toEqual([['phone', 3, 3], ['web_form', 2, 2]]);
    expect(card(body.entryPaths[1])).toEqual([
      ['capture_completeness', 1, 2, 0.5, 2], ['ownership_in_sla', 1, 2, 0.5, 2], ['first_touch_in_sla', 0, 2, 0, 1],
      ['booking_confirmed', 0, 1, 0, 1], ['loop_closed', 1, 2, 0.5, 2],
    ]);
  });

  it('lists leaking leads oldest first with their owner, a page at a time', async () => {
    const first = (await get('/v1/leakage?stage=claimed&olderThan=P1D&limit=1')).json();
    expect(first.leads).toEqual([{ leadId: h.l5.leadId, stageReachedAt: '2025-02-28T20:05:00.000Z', ageSeconds: 2_778_900, ownerId: O2, queueId: Q1, entryPath: 'estimate_request', campaign: null }]);
    const second = (await get(`/v1/leakage?stage=claimed&olderThan=P1D&limit=1&cursor=${first.nextCursor}`)).json();
    expect(second).toMatchObject({ leads: [{ leadId: h.l4.leadId, ownerId: O1 }], nextCursor: null });
    const ids = async (query: string) => (await get(`/v1/leakage?${query}`)).json().leads.map((l: { leadId: string }) => l.leadId);
    expect(await ids('stage=captured&olderThan=PT1H')).toEqual([h.l6.leadId]);
    expect(await ids('stage=captured&olderThan=P2D')).toEqual([]);
    expect(await ids('stage=booked&olderThan=P1D')).toEqual([h.l2.leadId]);
    // Held and won is a closed loop; disqualified leads are not leaking either.
    expect(await ids('stage=held&olderThan=PT0S')).toEqual([]);
    expect(await ids('stage=contacted&olderThan=P1D')).toEqual([h.l7.leadId]);
  });

  it("tells a lead's story once per event, in event-time order, with who caused each step", async () => {
    const res = await get(`/v1/leads/${h.l1.leadId}/timeline`);
    expect(res.statusCode).toBe(200);
    const events = res.json().events as Array<{ id: string; type: string; time: string; source: string; correlationId: string; causationId: string | null; actor: unknown }>;
    expect(events.map((x) => x.type)).toEqual([
      'lead.captured', 'lead.assigned', 'lead.claimed', 'lead.contact_attempted', 'lead.contacted', 'lead.qualified',
      'appointment.booked', 'appointment.confirmed', 'reminder.sent', 'appointment.no_show', 'appointment.held', 'lead.closed',
    ]);
    const [capturedEvent, assignedEvent, claimedEvent] = h.l1Events as [LifecycleEvent, LifecycleEvent, LifecycleEvent];
    expect(events.slice(0, 3)).toEqual([
      { id: capturedEvent.id, type: 'lead.captured', time: '2025-03-10T10:00:00.000Z', recordedAt: expect.any(String), source: 'baton.capture', correlationId: capturedEvent.id, causationId: null, actor: { type: 'system', id: 'baton.capture' } },
      { id: assignedEvent.id, type: 'lead.assigned', time: '2025-03-10T10:00:05.000Z', recordedAt: expect.any(String), source: 'baton.routing', correlationId: capturedEvent.id, causationId: capturedEvent.id, actor: { type: 'system', id: 'baton.routing' } },
      { id: claimedEvent.id, type: 'lead.claimed', time: '2025-03-10T10:02:00.000Z', recordedAt: expect.any(String), source: 'baton.routing', correlationId: capturedEvent.id, causationId: assignedEvent.id, actor: { type: 'member', id: O1 } },
    ]);
    expect(events.slice(6, 8).map((x) => x.actor)).toEqual([{ type: 'member', id: S1 }, { type: 'buyer', id: null }]);
    expect(events.at(-1)?.actor).toEqual({ type: 'integration', id: 'hubspot' });
    const page = (await get(`/v1/leads/${h.l1.leadId}/timeline?limit=5`)).json();
    const rest = (await get(`/v1/leads/${h.l1.leadId}/timeline?limit=100&cursor=${page.nextCursor}`)).json();
    expect([...page.events, ...rest.events].map((x: { id: string }) => x.id)).toEqual(events.map((x) => x.id));
  });

  it('reports the projector backlog on /metrics', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/metrics' });
    expect(res.body).toMatch(/^baton_metrics_intake_backlog\{service="metrics"\} 0$/m);
  });

  it('keeps personal data out of the audit log', async () => {
    const { rows } = await sql<{ envelope: unknown }>`SELECT envelope FROM audit_log WHERE lead_id = ${h.l1.leadId}::uuid`.execute(t.harness.db);
    expect(JSON.stringify(rows)).not.toMatch(/person@example\.com|Test Person|\+14155550123/);
  });

  it('answers 401 without a key, 403 without funnel:read, 404 for another tenant\'s lead', async () => {
    expect((await t.app.inject({ method: 'GET', url: utcMarch })).statusCode).toBe(401);
    const reader = await t.newTenant(['leads:read']);
    expect((await get(utcMarch, reader.key)).statusCode).toBe(403);
    const res = await get(`/v1/leads/${h.l1.leadId}/timeline`, b.key);
    expect(res.statusCode).toBe(404);
    expect(res.headers['content-type']).toContain('application/problem+json');
    // Tenant B sees only its own lead.
    expect((await get(utcMarch, b.key)).json().groups[0].stages[0].count).toBe(1);
  });

  it('names every bad query parameter in a problem+json 400', async () => {
    const res = await get('/v1/funnel?from=yesterday&to=2025-04-01&groupBy=colour&tz=Mars/Base&extra=1');
    expect(res.statusCode).toBe(400);
    const fields = res.json().errors.map((x: { field: string }) => x.field).sort();
    expect(fields).toEqual(['query.extra', 'query.from', 'query.groupBy', 'query.tz']);
    const reversed = await get('/v1/funnel?from=2025-04-01&to=2025-03-01');
    expect(reversed.json()).toMatchObject({ status: 400, errors: [{ field: 'query.to', message: 'must be after from' }] });
    expect((await get('/v1/funnel?from=2000-01-01&to=2025-01-01')).json().errors).toEqual([{ field: 'query.to', message: 'must be at most 10 years after from' }]);
    expect((await get('/v1/leakage?stage=claimed&olderThan=4h')).json().errors).toEqual([{ field: 'query.olderThan', message: expect.stringContaining('ISO 8601') }]);
  });

  it('rebuilds every projection from the audit log to the same answers, and verifies against a recount', async () => {
    const urls = [utcMarch, '/v1/funnel?from=2025-03-01&to=2025-04-01&tz=Asia/Kathmandu&groupBy=owner', '/v1/scorecard?from=2025-02-01&to=2025-05-01&tz=America/Chicago', '/v1/leakage?stage=claimed&olderThan=P1D'];
    const before = await Promise.all(urls.map(async (url) => (await get(url)).json()));
    const rebuilt = await rebuildProjections(t.harness.db, { batchSize: 7 });
    expect(rebuilt).toMatchObject({ events: distinct(h.events) + 1, journeys: 8 });
    expect(await Promise.all(urls.map(async (url) => (await get(url)).json()))).toEqual(before);
    const verified = await verifyProjections(t.harness.db);
    expect(verified.mismatches).toEqual([]);
    expect(verified).toMatchObject({ ok: true, tenants: 2 });
  });

  it('catches a projection that drifted from the log, from the CLI too (exit 1), and repairs it with a rebuild', async () => {
    await sql`UPDATE rollups SET reached_held = coalesce(reached_held, 0) + 1 WHERE tenant_id = ${a.tenantId} AND dim = 'owner' AND level = 'day'`.execute(t.harness.db);
    const verified = await verifyProjections(t.harness.db, { tenantId: a.tenantId });
    expect(verified.ok).toBe(false);
    expect(verified.mismatches[0]).toMatchObject({ tenantId: a.tenantId, groupBy: 'owner' });
    const verify = await baton('metrics', 'verify', '--schema', t.harness.schema);
    // The whole run in the assertion, so a failure shows the CLI's stderr too.
    expect(verify).toMatchObject({ code: 1, stdout: expect.stringContaining('"ok":false,"tenants":2') });
    expect(await baton('metrics', 'rebuild', '--schema', t.harness.schema)).toMatchObject({ code: 0 });
    expect((await verifyProjections(t.harness.db)).ok).toBe(true);
  }, 60_000);
});

type Run = { code: number; stdout: string; stderr: string };

// Through a real child process, as an operator runs it: the exit code is the contract.
function baton(...args: string[]): Promise<Run> {
  const root = fileURLToPath(new URL('../../..', import.meta.url));
  const env = { ...process.env, DATABASE_URL: process.env['BATON_TEST_DATABASE_URL'] };
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', 'scripts/baton.ts', ...args], { cwd: root, env }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}
