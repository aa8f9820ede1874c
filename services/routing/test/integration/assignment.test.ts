import type { EventOf, LifecycleEvent } from '@baton/contracts';
import { applyEvent, finishTransaction } from '../../src/consumers/routing.handler.js';
import { adminApi, bearer, captured, historyOf, openRoutingApp, type RoutingTestApp } from '../support.js';

// Assignment through the consumer's handler with a real transaction; the Kafka hop (covered in pipeline.test.ts)
// adds nothing to these decisions.

let t: RoutingTestApp;
const weekdays = (start: string, end: string) => Object.fromEntries(['mon', 'tue', 'wed', 'thu', 'fri'].map((d) => [d, [{ start, end }]]));

beforeAll(async () => {
  t = await openRoutingApp();
});

afterAll(async () => {
  await t.close();
});

afterEach(() => t.clock.reset());

/** Applies events like one consumer chunk: one transaction, each event in turn, then the before-commit step. */
async function route(...events: LifecycleEvent[]): Promise<void> {
  const deps = { clock: t.clock.now, topic: 'routing-test' };
  await t.harness.db.transaction().execute(async (trx) => {
    for (const event of events) await applyEvent(event, trx, deps);
    await finishTransaction(trx, deps);
  });
}

async function assignedOf(leadId: string): Promise<any> {
  const events = (await historyOf(t.harness.db, leadId)).filter((e) => e.type === 'lead.assigned');
  expect(events).toHaveLength(1);
  return events[0]!.data;
}

async function tenantWithQueue(members: Array<Record<string, unknown>>, queue: Record<string, unknown> = {}) {
  const tenant = await t.newTenant();
  const api = adminApi(t, tenant.admin);
  const ids = [];
  for (const m of members) ids.push((await api.member(m)).id);
  const fallback = (await api.member({ name: 'Fallback', role: 'manager', weight: 0 })).id;
  const { id: queueId } = await api.queue({ memberIds: ids, fallbackMemberId: fallback, isDefault: true, ...queue });
  return { tenant, api, ids, fallback, queueId };
}

describe('assignment', () => {
  it('picks the queue by the first matching rule, else the default queue', async () => {
    const { tenant, api, ids, queueId: fallbackQueue } = await tenantWithQueue([{}]);
    const { id: de } = await api.queue({ name: 'DE', memberIds: ids, fallbackMemberId: ids[0]! });
    const { id: spring } = await api.queue({ name: 'Spring calls', memberIds: ids, fallbackMemberId: ids[0]! });
    const springRule = await api.rule({ name: 'spring phone', position: 1, queueId: spring, match: { entryPath: ['phone'], campaign: ['spring'] } });
    await api.rule({ name: 'germany', position: 2, queueId: de, match: { country: ['DE'], companySize: { min: 50 } } });
    const leads = [
      captured(tenant.tenantId, { entryPath: 'phone', source: { system: 'x', campaign: 'spring' }, company: { country: 'DE', size: '51-200' } }),
      captured(tenant.tenantId, { entryPath: 'web_form', company: { country: 'DE', size: '51-200' } }),
      captured(tenant.tenantId, { entryPath: 'web_form', company: { country: 'DE', size: '1-10' } }),
    ];
    await route(...leads);
    expect(await assignedOf(leads[0]!.subject)).toMatchObject({ queueId: spring, reason: 'rule_match', routing: { ruleId: springRule.id, matchedRule: 'spring phone', fallback: false } });
    expect(await assignedOf(leads[1]!.subject)).toMatchObject({ queueId: de, routing: { matchedRule: 'germany' } });
    expect(await assignedOf(leads[2]!.subject)).toMatchObject({ queueId: fallbackQueue, reason: 'default_queue', routing: { ruleId: null } });
  });

  it('shares 600 leads 1:2:3 by weight (within 2 %), in chunks of 100 per transaction like the consumer', async () => {
    const { tenant, ids } = await tenantWithQueue([{ weight: 1 }, { weight: 2 }, { weight: 3 }]);
    for (let chunk = 0; chunk < 6; chunk++) await route(...Array.from({ length: 100 }, () => captured(tenant.tenantId)));
    const rows = await t.harness.db.selectFrom('assignments').select(({ fn }) => ['member_id', fn.countAll<string>().as('n')]).where('tenant_id', '=', tenant.tenantId).groupBy('member_id').execute();
    const counts = ids.map((id) => Number(rows.find((r) => r.member_id === id)?.n ?? 0));
    [100, 200, 300].forEach((expected, i) => expect(Math.abs(counts[i]! - expected)).toBeLessThanOrEqual(600 * 0.02));
    const members = await t.harness.db.selectFrom('members').select(['id', 'open_count']).where('id', 'in', ids).execute();
    expect(members.reduce((sum, m) => sum + m.open_count, 0)).toBe(600);
  });

  it('respects open and per-day caps, then uses the fallback and says so', async () => {
    const { tenant, ids, fallback } = await tenantWithQueue([{ caps: { maxOpen: 2 } }, { caps: { maxPerDay: 1 } }]);
    const leads = Array.from({ length: 4 }, () => captured(tenant.tenantId));
    await route(...leads);
    const owners = await Promise.all(leads.map(async (l) => (await assignedOf(l.subject)).owner.memberId));
    expect(owners.filter((o) => o === ids[0])).toHaveLength(2);
    expect(owners.filter((o) => o === ids[1])).toHaveLength(1);
    const last = await assignedOf(leads[3]!.subject);
    expect(last).toMatchObject({ owner: { memberId: fallback, role: 'manager' }, reason: 'fallback', routing: { fallback: true, considered: [{ memberId: ids[0], eligible: false, skippedBecause: 'at_cap' }, { memberId: ids[1], eligible: false, skippedBecause: 'at_cap' }] } });
    // A claim frees a slot of the open cap.
    const claimedLead = leads[owners.indexOf(ids[0]!)]!.subject;
    const claim = await t.app.inject({ method: 'POST', url: `/v1/leads/${claimedLead}/claim`, headers: bearer(tenant.act), payload: { memberId: ids[0] } });
    expect(claim.statusCode).toBe(200);
    const next = captured(tenant.tenantId);
    await route(next);
    expect((await assignedOf(next.subject)).owner.memberId).toBe(ids[0]);
  });

  it('reads working hours in each member\'s zone, across a daylight-saving change', async () => {
    const zones = ['America/New_York', 'Europe/Paris', 'Asia/Tokyo'];
    const { tenant, ids } = await tenantWithQueue(zones.map((timeZone) => ({ timeZone, workingHours: weekdays('09:00', '17:00') })));
    const reasons = async (at: string) => {
      t.clock.set(at);
      const lead = captured(tenant.tenantId);
      await route(lead);
      return (await assignedOf(lead.subject)).routing.considered.map((c: { skippedBecause?: string }) => c.skippedBecause ?? 'eligible');
    };
    // 13:30 UTC: before New York springs forward it is 08:30 there, after it 09:30; Paris (no change yet) works both days.
    expect(await reasons('2025-03-07T13:30:00Z')).toEqual(['off_hours', 'eligible', 'off_hours']);
    expect(await reasons('2025-03-10T13:30:00Z')).toEqual(['eligible', 'eligible', 'off_hours']);
    // 00:30 UTC on a Tuesday is 09:30 in Tokyo and night elsewhere.
    expect(await reasons('2025-03-11T00:30:00Z')).toEqual(['off_hours', 'off_hours', 'eligible']);
    expect(ids).toHaveLength(3);
  });

  it('skips members out of office, and ignores hours when the queue says so', async () => {
    const now = '2025-03-08T03:00:00Z'; // Saturday night: nobody works
    const { tenant, ids } = await tenantWithQueue(
      [{ workingHours: weekdays('09:00', '17:00'), outOfOffice: [{ from: '2025-03-01T00:00:00Z', to: '2025-03-09T00:00:00Z' }] }, { workingHours: weekdays('09:00', '17:00') }],
      { ignoreWorkingHours: true },
    );
    t.clock.set(now);
    const lead = captured(tenant.tenantId);
    await route(lead);
    expect(await assignedOf(lead.subject)).toMatchObject({ owner: { memberId: ids[1] }, routing: { considered: [{ skippedBecause: 'out_of_office' }, { eligible: true }] } });
  });

  it('keeps the owner of a lead re-captured, updated or redelivered', async () => {
    const { tenant } = await tenantWithQueue([{}, {}]);
    const lead = captured(tenant.tenantId);
    await route(lead);
    const again = captured(tenant.tenantId, {}, lead.subject);
    const updated = { ...captured(tenant.tenantId, {}, lead.subject), type: 'lead.updated', data: { changes: {}, completeness: { score: 50, missing: [] } } } as unknown as EventOf<'lead.updated'>;
    await route(again, updated, lead);
    expect((await historyOf(t.harness.db, lead.subject)).map((e) => e.type)).toEqual(['lead.assigned']);
  });

  it('records a lead of a tenant without routing as unrouted', async () => {
    const tenant = await t.newTenant();
    const lead = captured(tenant.tenantId);
    await route(lead);
    const res = await t.app.inject({ method: 'GET', url: `/v1/leads/${lead.subject}/routing`, headers: bearer(tenant.act) });
    expect(res.json()).toMatchObject({ state: 'unrouted', ownerId: null, history: [] });
  });
});

describe('claim, release and visibility', () => {
  it('lets only the owner claim, starts the first-touch clock, and shows it all', async () => {
    const { tenant, ids } = await tenantWithQueue([{}, {}], { claimSlaSeconds: 120, firstTouchSlaSeconds: 600 });
    t.clock.set('2025-03-03T12:00:00Z');
    const lead = captured(tenant.tenantId);
    await route(lead);
    const owner = (await assignedOf(lead.subject)).owner.memberId as string;
    const other = ids.find((id) => id !== owner)!;
    const url = `/v1/leads/${lead.subject}/claim`;
    const wrong = await t.app.inject({ method: 'POST', url, headers: bearer(tenant.act), payload: { memberId: other } });
    expect(wrong.statusCode).toBe(409);
    expect(wrong.json()).toMatchObject({ code: 'not_owner' });
    t.clock.set('2025-03-03T12:01:30Z');
    const ok = await t.app.inject({ method: 'POST', url, headers: bearer(tenant.act), payload: { memberId: owner } });
    expect(ok.json()).toEqual({ leadId: lead.subject, memberId: owner, state: 'claimed', claimedAt: '2025-03-03T12:01:30.000Z', secondsToClaim: 90, firstTouchDeadline: '2025-03-03T12:11:30.000Z' });
    expect(t.scheduled.at(-1)).toMatchObject({ leadId: lead.subject, kind: 'first_touch', step: 0 });
    const view = await t.app.inject({ method: 'GET', url: `/v1/leads/${lead.subject}/routing`, headers: bearer(tenant.act) });
    expect(view.json()).toMatchObject({ state: 'claimed', ownerId: owner, claimDeadline: '2025-03-03T12:02:00.000Z', nextTimer: { sla: 'first_touch', step: 0, dueAt: '2025-03-03T12:11:30.000Z' } });
    expect((view.json() as { history: Array<{ type: string }> }).history.map((h) => h.type)).toEqual(['lead.assigned', 'lead.claimed']);
    const otherTenant = await t.newTenant();
    expect((await t.app.inject({ method: 'GET', url: `/v1/leads/${lead.subject}/routing`, headers: bearer(otherTenant.act) })).statusCode).toBe(404);
    expect((await t.app.inject({ method: 'POST', url, headers: bearer(otherTenant.act), payload: { memberId: owner } })).statusCode).toBe(404);
  });

  it('hands a released lead to someone else and lists the backlog oldest first', async () => {
    const { tenant, ids, queueId } = await tenantWithQueue([{}, {}], { claimSlaSeconds: 60 });
    t.clock.set('2025-03-03T12:00:00Z');
    const first = captured(tenant.tenantId);
    await route(first);
    t.clock.set('2025-03-03T12:00:30Z');
    const second = captured(tenant.tenantId);
    await route(second);
    const owner = (await assignedOf(first.subject)).owner.memberId as string;
    t.clock.set('2025-03-03T12:00:45Z');
    const release = await t.app.inject({ method: 'POST', url: `/v1/leads/${first.subject}/release`, headers: bearer(tenant.act), payload: { memberId: owner } });
    expect(release.json()).toMatchObject({ fromMemberId: owner, toMemberId: ids.find((id) => id !== owner), fallback: false, claimDeadline: '2025-03-03T12:01:45.000Z' });
    // The released lead is younger in its new owner's hands than the second lead: it comes second.
    t.clock.set('2025-03-03T12:01:40Z');
    const backlog = await t.app.inject({ method: 'GET', url: `/v1/queues/${queueId}/backlog`, headers: bearer(tenant.act) });
    expect(backlog.json()).toMatchObject({ leads: [{ leadId: second.subject, overdue: true }, { leadId: first.subject, overdue: false }] });
  });

  it('stops the clocks when the lead is contacted or closed', async () => {
    const { tenant } = await tenantWithQueue([{}], { firstTouchSlaSeconds: 60 });
    const lead = captured(tenant.tenantId);
    await route(lead);
    const contacted = { ...captured(tenant.tenantId, {}, lead.subject), type: 'lead.contacted', data: { channel: 'phone', contactedAt: new Date().toISOString(), actor: { type: 'system', id: 'dialer' } } } as unknown as LifecycleEvent;
    await route(contacted);
    const row = await t.harness.db.selectFrom('assignments').select(['state', 'sla_due_at']).where('lead_id', '=', lead.subject).executeTakeFirstOrThrow();
    expect(row).toEqual({ state: 'contacted', sla_due_at: null });
  });
});
