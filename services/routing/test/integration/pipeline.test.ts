import { createEvent } from '@baton/contracts';
import { enqueue } from '@baton/kafka';
import { sql } from 'kysely';
import { adminApi, bearer, captured, historyOf, openPipeline, openRoutingApp, waitFor, type Pipeline, type RoutingTestApp } from '../support.js';

// The real pipeline: lead.captured committed to the outbox, relayed to a Kafka topic of this file, consumed by
// routing instances in one group; SLA timers as BullMQ delayed jobs under a Redis key prefix of this file.

let t: RoutingTestApp;
let p: Pipeline;

beforeAll(async () => {
  t = await openRoutingApp();
  p = await openPipeline(t);
});

afterAll(async () => {
  await p?.close();
  await t?.close();
});

async function capture(...events: ReturnType<typeof captured>[]): Promise<void> {
  await t.harness.db.transaction().execute((trx) => enqueue(trx, events, p.topic));
}

const seconds = (from: Date | string, to: Date | string) => (new Date(to).getTime() - new Date(from).getTime()) / 1000;

async function eventsOf(leadId: string, count: number, timeoutMs = 20_000) {
  return waitFor(async () => {
    const events = await historyOf(t.harness.db, leadId);
    return events.length >= count && events;
  }, timeoutMs, `${count} events of lead ${leadId}`);
}

it('assigns every lead exactly once with two routing instances in one consumer group', async () => {
  const tenant = await t.newTenant();
  const api = adminApi(t, tenant.admin);
  const light = await api.member({ weight: 1 });
  const heavy = await api.member({ weight: 2 });
  await api.queue({ memberIds: [light.id, heavy.id], fallbackMemberId: light.id, isDefault: true });
  const [a, b] = [await p.start(), await p.start()];
  await waitFor(async () => a.consumer.stats().groupJoins > 0 && b.consumer.stats().groupJoins > 0, 30_000, 'both instances in the group');
  const leads = Array.from({ length: 300 }, () => captured(tenant.tenantId));
  for (let i = 0; i < leads.length; i += 30) await capture(...leads.slice(i, i + 30));
  // Redeliver a slice under new event ids (a re-capture): owners must not change.
  await capture(...leads.slice(0, 20).map((l) => captured(tenant.tenantId, {}, l.subject)));
  const count = async () => Number((await sql<{ n: string }>`SELECT count(*) AS n FROM routing_history WHERE tenant_id = ${tenant.tenantId} AND type = 'lead.assigned'`.execute(t.harness.db)).rows[0]!.n);
  await waitFor(async () => (await count()) >= 300, 45_000, '300 assignments');
  await waitFor(async () => a.consumer.stats().handled + b.consumer.stats().handled >= 320, 20_000, 'the re-captures');
  expect(await count()).toBe(300);
  const perMember = await sql<{ member_id: string; n: string }>`SELECT member_id, count(*) AS n FROM assignments WHERE tenant_id = ${tenant.tenantId} GROUP BY member_id`.execute(t.harness.db);
  const n = (id: string) => Number(perMember.rows.find((r) => r.member_id === id)?.n ?? 0);
  expect(Math.abs(n(light.id) - 100)).toBeLessThanOrEqual(6);
  expect(n(light.id) + n(heavy.id)).toBe(300);
  expect(a.consumer.stats().handled).toBeGreaterThan(0);
  expect(b.consumer.stats().handled).toBeGreaterThan(0);
  await a.stop();
  await b.stop();
}, 120_000);

it('routes a lead captured before its tenant had routing once a default queue exists, and starts its claim timer', async () => {
  const tenant = await t.newTenant();
  const api = adminApi(t, tenant.admin);
  const instance = await p.start();
  try {
    const lead = captured(tenant.tenantId);
    await capture(lead);
    const state = () => t.harness.db.selectFrom('assignments').select(['state', 'member_id']).where('lead_id', '=', lead.subject).executeTakeFirst();
    await waitFor(async () => (await state())?.state === 'unrouted', 20_000, 'the unrouted record');
    const rep = await api.member();
    await api.queue({ memberIds: [rep.id], fallbackMemberId: rep.id, isDefault: true });
    await waitFor(async () => (await state())?.state === 'assigned', 20_000, 'the sweep to route the lead');
    expect(await state()).toEqual({ state: 'assigned', member_id: rep.id });
    const delayed = await instance.timers.queue.getDelayed();
    expect(delayed.some((job) => job.data.leadId === lead.subject && job.data.kind === 'claim')).toBe(true);
  } finally {
    await instance.stop();
  }
}, 60_000);

it('walks the claim and first-touch ladders at the right times, and never escalates a lead handled in time', async () => {
  const tenant = await t.newTenant();
  const api = adminApi(t, tenant.admin);
  const rep = await api.member({ name: 'Rep' });
  const closer = await api.member({ name: 'Closer', role: 'account_executive', weight: 0 });
  const manager = await api.member({ name: 'Manager', role: 'manager', weight: 0 });
  const claimLadder = [{ target: { role: 'manager' }, action: 'notify', afterSeconds: 1 }, { target: { memberId: closer.id }, action: 'reassign', afterSeconds: 1 }];
  const firstTouch = [{ target: { role: 'manager' }, action: 'notify', afterSeconds: 0 }];
  await api.queue({ memberIds: [rep.id], fallbackMemberId: manager.id, isDefault: true, claimSlaSeconds: 2, firstTouchSlaSeconds: 2, escalation: { claim: claimLadder, firstTouch } });
  const instance = await p.start();
  const [late, prompt, slow] = [captured(tenant.tenantId), captured(tenant.tenantId), captured(tenant.tenantId)];
  await capture(late, prompt, slow);
  for (const lead of [prompt, slow]) {
    await eventsOf(lead.subject, 1);
    const claim = await instance.app.inject({ method: 'POST', url: `/v1/leads/${lead.subject}/claim`, headers: bearer(tenant.act), payload: { memberId: rep.id } });
    expect(claim.statusCode).toBe(200);
  }
  const contacted = createEvent({ type: 'lead.contacted', source: 'baton.capture', subject: prompt.subject, tenantid: tenant.tenantId, data: { channel: 'phone', contactedAt: new Date().toISOString(), actor: { type: 'system', id: 'dialer' } } });
  await t.harness.db.transaction().execute((trx) => enqueue(trx, [contacted], p.topic));

  const events = await eventsOf(late.subject, 6, 30_000);
  expect(events.map((e) => e.type)).toEqual(['lead.assigned', 'lead.claim_overdue', 'lead.escalated', 'lead.escalated', 'lead.reassigned', 'lead.claim_overdue']);
  // Each step at its time: not early, and late by at most what a busy shared machine adds.
  expectTimes(events, events[0]!.data.assignedAt, [0, 2, 3, 4, 4, 6]);
  expect(events[2]!.data).toMatchObject({ level: 1, action: 'notify', target: { memberId: manager.id, role: 'manager' } });
  expect(events[4]!.data).toMatchObject({ fromMemberId: rep.id, toMemberId: closer.id, reason: 'escalation' });
  expect(events[5]!.data).toMatchObject({ memberId: closer.id });

  const slowEvents = await eventsOf(slow.subject, 4);
  expect(slowEvents.map((e) => [e.type, e.data.sla])).toEqual([['lead.assigned', undefined], ['lead.claimed', undefined], ['lead.claim_overdue', 'first_touch'], ['lead.escalated', 'first_touch']]);
  expectTimes(slowEvents.slice(1), slowEvents[1]!.data.claimedAt, [0, 2, 2]);
  expect((await historyOf(t.harness.db, prompt.subject)).map((e) => e.type)).toEqual(['lead.assigned', 'lead.claimed']);
  await instance.stop();
}, 60_000);

function expectTimes(events: Array<{ at: Date }>, from: string, offsets: number[]): void {
  events.forEach((e, i) => {
    const offset = seconds(from, e.at);
    expect(offset).toBeGreaterThanOrEqual(offsets[i]! - 0.05);
    expect(offset).toBeLessThan(offsets[i]! + 1.5);
  });
}

it('rebuilds timers from Postgres after Redis lost them: on start-up, and by the sweep while running', async () => {
  const tenant = await t.newTenant();
  const api = adminApi(t, tenant.admin);
  const rep = await api.member();
  await api.queue({ memberIds: [rep.id], fallbackMemberId: rep.id, isDefault: true, claimSlaSeconds: 3 });
  const first = await p.start();
  const lead = captured(tenant.tenantId);
  await capture(lead);
  const [assigned] = await eventsOf(lead.subject, 1);
  await waitFor(async () => (await t.harness.redis.keys(`${p.prefix}:*`)).length > 0, 5_000, 'the timer in Redis');
  await first.stop();
  expect(await p.flushTimers()).toBeGreaterThan(0);
  await p.start();
  const [, overdue] = await eventsOf(lead.subject, 2);
  expect(overdue!.type).toBe('lead.claim_overdue');
  expect(seconds(assigned!.data.assignedAt, overdue!.at)).toBeGreaterThanOrEqual(2.95);

  // Lost while running: the sweep (every 1 s, for timers 1.5 s late) puts it back.
  const second = captured(tenant.tenantId);
  await capture(second);
  const [secondAssigned] = await eventsOf(second.subject, 1);
  await waitFor(async () => (await t.harness.redis.keys(`${p.prefix}:*sla-${second.subject}*`)).length > 0, 5_000, 'the second timer in Redis');
  await p.flushTimers();
  const [, secondOverdue] = await eventsOf(second.subject, 2, 15_000);
  expect(secondOverdue!.type).toBe('lead.claim_overdue');
  expect(seconds(secondAssigned!.data.assignedAt, secondOverdue!.at)).toBeGreaterThanOrEqual(3 + 1.5);
}, 90_000);
