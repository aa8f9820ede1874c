import type { LifecycleEvent } from '@baton/contracts';
import { sql } from 'kysely';
import { randomUUID } from 'node:crypto';
import { applyEvent, finishTransaction } from '../../src/consumers/routing.handler.js';
import type { Timer } from '../../src/domain/assignment.js';
import { routeUnroutedLeads } from '../../src/use-cases/route-unrouted.js';
import { adminApi, captured, historyOf, openRoutingApp, type RoutingTestApp } from '../support.js';

// A lead captured before its tenant could route it is kept as 'unrouted' with the facts rules match on, and
// routed by the sweep once a rule or a default queue takes it, exactly as a fresh capture would be.

let t: RoutingTestApp;

beforeAll(async () => {
  t = await openRoutingApp();
});

afterAll(async () => {
  await t.close();
});

const deps = { clock: () => t.clock.now(), topic: 'routing-unrouted-test' };

/** One sweep; resolves to the claim timers it asked to start. */
async function sweep(pageSize?: number): Promise<Timer[]> {
  const scheduled: Timer[] = [];
  const routed = await routeUnroutedLeads(t.harness.db, { ...deps, pageSize, schedule: async (timers) => void scheduled.push(...timers) });
  expect(routed).toBe(scheduled.length);
  return scheduled;
}

/** The consumer's transaction for these events. */
async function consume(...events: LifecycleEvent[]): Promise<void> {
  await t.harness.db.transaction().execute(async (trx) => {
    for (const event of events) await applyEvent(event, trx, deps);
    await finishTransaction(trx, deps);
  });
}

async function assignmentOf(leadId: string) {
  return t.harness.db.selectFrom('assignments').select(['state', 'member_id', 'queue_id']).where('lead_id', '=', leadId).executeTakeFirst();
}

async function unroutedRow(leadId: string) {
  return t.harness.db.selectFrom('unrouted_leads').select(['created_at', 'facts']).where('lead_id', '=', leadId).executeTakeFirst();
}

async function assignedInOutbox(leadIds: readonly string[]): Promise<Array<{ subject: string; causationid: string }>> {
  const { rows } = await sql<{ payload: { subject: string; causationid: string } }>`
    SELECT payload FROM outbox WHERE event_type = 'lead.assigned' AND payload->>'subject' = ANY(${[...leadIds]}::text[])`.execute(t.harness.db);
  return rows.map((r) => ({ subject: r.payload.subject, causationid: r.payload.causationid }));
}

async function newTenant() {
  const tenant = await t.newTenant();
  const api = adminApi(t, tenant.admin);
  const rep = (await api.member({ name: 'Rep' })).id;
  const fallback = (await api.member({ name: 'Fallback', role: 'manager', weight: 0 })).id;
  return { tenantId: tenant.tenantId, api, rep, fallback };
}

it('routes leads captured before any routing existed once a default queue appears, each once, with its event and claim timer', async () => {
  const { tenantId, api, rep, fallback } = await newTenant();
  const leads = [captured(tenantId), captured(tenantId), captured(tenantId)];
  await consume(...leads);
  for (const lead of leads) expect(await assignmentOf(lead.subject)).toEqual({ state: 'unrouted', member_id: null, queue_id: null });
  // Only what rules match on is kept: no contact details.
  expect((await unroutedRow(leads[0]!.subject))?.facts).toEqual({
    entryPath: 'estimate_request', campaign: 'spring-roof-2025', country: 'US', timeZone: 'America/Los_Angeles', companySize: '11-50', attributes: expect.any(Object),
  });
  expect(JSON.stringify((await unroutedRow(leads[0]!.subject))?.facts)).not.toContain('@');

  // Nothing takes them yet: the sweep leaves them be.
  expect(await sweep()).toEqual([]);

  const queue = (await api.queue({ memberIds: [rep], fallbackMemberId: fallback, isDefault: true })).id;
  const timers = await sweep();

  expect(timers.map((timer) => timer.leadId).sort()).toEqual(leads.map((lead) => lead.subject).sort());
  expect(timers.every((timer) => timer.kind === 'claim')).toBe(true);
  for (const lead of leads) {
    expect(await assignmentOf(lead.subject)).toEqual({ state: 'assigned', member_id: rep, queue_id: queue });
    expect(await unroutedRow(lead.subject)).toBeUndefined();
    const history = await historyOf(t.harness.db, lead.subject);
    expect(history.map((h) => [h.type, h.data.reason])).toEqual([['lead.assigned', 'default_queue']]);
  }
  // One lead.assigned each, caused by the capture, as if routed on arrival.
  const events = await assignedInOutbox(leads.map((lead) => lead.subject));
  expect(events.sort((a, b) => a.subject.localeCompare(b.subject))).toEqual(
    leads.map((lead) => ({ subject: lead.subject, causationid: lead.id })).sort((a, b) => a.subject.localeCompare(b.subject)),
  );
  // A second sweep finds nothing, and a redelivered capture keeps the owner.
  expect(await sweep()).toEqual([]);
  await consume(leads[0]!);
  expect(await assignmentOf(leads[0]!.subject)).toEqual({ state: 'assigned', member_id: rep, queue_id: queue });
});

it('routes only the leads a new rule matches, reading past the others page by page and leaving them untouched', async () => {
  const { tenantId, api, rep, fallback } = await newTenant();
  const autumn = (campaign: string) => ({ ...captured(tenantId).data, source: { system: 'web', campaign } });
  // Pages go in lead id order, one lead per page here, and the matching lead has the highest id: the sweep must
  // step past both unmatched leads rather than stop at them.
  const [first, second, last] = [randomUUID(), randomUUID(), randomUUID()].sort();
  const unmatched = [captured(tenantId, autumn('autumn'), first), captured(tenantId, autumn('winter'), second)];
  const matched = captured(tenantId, autumn('spring'), last);
  for (const lead of [...unmatched, matched]) await consume(lead);
  const before = await Promise.all(unmatched.map((lead) => unroutedRow(lead.subject)));

  const queue = (await api.queue({ memberIds: [rep], fallbackMemberId: fallback })).id;
  await api.rule({ queueId: queue, match: { campaign: ['spring'] } });
  const timers = await sweep(1);

  expect(timers.map((timer) => timer.leadId)).toEqual([matched.subject]);
  expect(await assignmentOf(matched.subject)).toEqual({ state: 'assigned', member_id: rep, queue_id: queue });
  expect((await historyOf(t.harness.db, matched.subject)).map((h) => h.data.reason)).toEqual(['rule_match']);
  for (const [i, lead] of unmatched.entries()) {
    expect(await assignmentOf(lead.subject)).toEqual({ state: 'unrouted', member_id: null, queue_id: null });
    expect(await unroutedRow(lead.subject)).toEqual(before[i]);
  }
});

function progress(type: 'lead.closed' | 'lead.contacted', tenantId: string, leadId: string): LifecycleEvent {
  const at = new Date().toISOString();
  const data = type === 'lead.closed' ? { outcome: 'lost', reason: 'spam', closedAt: at } : { channel: 'phone', contactedAt: at, actor: { type: 'system', id: 'dialer' } };
  return { ...captured(tenantId, {}, leadId), id: randomUUID(), type, data } as unknown as LifecycleEvent;
}

it('leaves alone an unrouted lead that was closed or contacted in the meantime, and forgets its facts', async () => {
  const { tenantId, api, rep, fallback } = await newTenant();
  const [closed, contacted, waiting] = [captured(tenantId), captured(tenantId), captured(tenantId)];
  await consume(closed, contacted, waiting);
  await consume(progress('lead.closed', tenantId, closed.subject), progress('lead.contacted', tenantId, contacted.subject));
  expect(await assignmentOf(closed.subject)).toEqual({ state: 'closed', member_id: null, queue_id: null });
  expect(await assignmentOf(contacted.subject)).toEqual({ state: 'contacted', member_id: null, queue_id: null });
  expect(await unroutedRow(closed.subject)).toBeUndefined();
  expect(await unroutedRow(contacted.subject)).toBeUndefined();

  await api.queue({ memberIds: [rep], fallbackMemberId: fallback, isDefault: true });
  expect((await sweep()).map((timer) => timer.leadId)).toEqual([waiting.subject]);
  expect(await assignmentOf(closed.subject)).toEqual({ state: 'closed', member_id: null, queue_id: null });
  expect(await assignmentOf(contacted.subject)).toEqual({ state: 'contacted', member_id: null, queue_id: null });
  expect(await historyOf(t.harness.db, closed.subject)).toEqual([]);
});

it('never waits on a lead another transaction holds, and gives up on a held queue instead of blocking the consumer', async () => {
  const { tenantId, api, rep, fallback } = await newTenant();
  const [held, free] = [captured(tenantId), captured(tenantId)];
  await consume(held, free);
  const queue = (await api.queue({ memberIds: [rep], fallbackMemberId: fallback, isDefault: true })).id;

  // Another transaction (a consumer recording a contact, say) holds one lead: the sweep routes the other.
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let locked!: () => void;
  const isLocked = new Promise<void>((resolve) => (locked = resolve));
  const holder = t.harness.db.transaction().execute(async (trx) => {
    await trx.selectFrom('assignments').select('lead_id').where('lead_id', '=', held.subject).forUpdate().execute();
    locked();
    await released;
  });
  try {
    await isLocked;
    expect((await sweep()).map((timer) => timer.leadId)).toEqual([free.subject]);
  } finally {
    release();
    await holder;
  }

  // A queue held longer than the sweep's lock timeout: the sweep fails fast and routes nothing. (The lead is
  // captured while the queue is briefly not the default, so that it is unrouted.)
  const lead = captured(tenantId);
  await sql`UPDATE queues SET is_default = false WHERE id = ${queue}::uuid`.execute(t.harness.db);
  await consume(lead);
  await sql`UPDATE queues SET is_default = true WHERE id = ${queue}::uuid`.execute(t.harness.db);
  const blocker = t.harness.db.transaction().execute(async (trx) => {
    await trx.selectFrom('queues').select('id').where('id', '=', queue).forUpdate().execute();
    await new Promise((resolve) => setTimeout(resolve, 2_000));
  });
  try {
    await new Promise((resolve) => setTimeout(resolve, 100));
    // lock_not_available: the sweep's lock timeout, long before the holder lets go.
    await expect(sweep()).rejects.toMatchObject({ code: '55P03' });
    expect(await assignmentOf(lead.subject)).toMatchObject({ state: 'unrouted' });
  } finally {
    await blocker;
  }
  // Nothing held any more: the next sweep routes both.
  expect((await sweep()).map((timer) => timer.leadId).sort()).toEqual([held.subject, lead.subject].sort());
});
