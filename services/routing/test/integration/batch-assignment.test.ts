import type { LifecycleEvent } from '@baton/contracts';
import { sql } from 'kysely';
import { applyEvent, finishTransaction, type StartedTimers } from '../../src/consumers/routing.handler.js';
import { AssignmentRaceError } from '../../src/use-cases/assign-leads.js';
import { adminApi, captured, historyOf, openRoutingApp, type RoutingTestApp } from '../support.js';

// A consumer chunk stages its captured leads and assigns them together before the commit (assign-leads.ts).
// These pin down what batching must not change: order inside a transaction, counters another effect moved,
// repeated leads, and a lead another instance assigned between our check and our insert.

let t: RoutingTestApp;

beforeAll(async () => {
  t = await openRoutingApp();
});

afterAll(async () => {
  await t.close();
});

const deps = () => ({ clock: t.clock.now, topic: 'routing-batch-test' });

/** One consumer-like transaction: each event in turn, then the before-commit step; every timer started. */
async function route(...events: LifecycleEvent[]): Promise<StartedTimers> {
  return t.harness.db.transaction().execute(async (trx) => {
    const started: StartedTimers = new Map();
    for (const event of events) for (const [tag, timer] of await applyEvent(event, trx, deps())) started.set(tag, timer);
    for (const [tag, timer] of await finishTransaction(trx, deps())) started.set(tag, timer);
    return started;
  });
}

function contacted(tenantId: string, leadId: string): LifecycleEvent {
  const data = { channel: 'phone', contactedAt: new Date().toISOString(), actor: { type: 'system', id: 'dialer' } };
  return { ...captured(tenantId, {}, leadId), type: 'lead.contacted', data } as unknown as LifecycleEvent;
}

async function ownerOf(leadId: string): Promise<string | null | undefined> {
  const row = await t.harness.db.selectFrom('assignments').select('member_id').where('lead_id', '=', leadId).executeTakeFirst();
  return row?.member_id;
}

async function openCount(memberId: string): Promise<number> {
  return (await t.harness.db.selectFrom('members').select('open_count').where('id', '=', memberId).executeTakeFirstOrThrow()).open_count;
}

async function tenantWithQueue(members: Array<Record<string, unknown>>) {
  const tenant = await t.newTenant();
  const api = adminApi(t, tenant.admin);
  const ids: string[] = [];
  for (const m of members) ids.push((await api.member(m)).id);
  const fallback = (await api.member({ name: 'Fallback', role: 'manager', weight: 0 })).id;
  await api.queue({ memberIds: ids, fallbackMemberId: fallback, isDefault: true });
  return { tenantId: tenant.tenantId, ids, fallback };
}

it('assigns a lead before a later event of the same chunk acts on it', async () => {
  const { tenantId } = await tenantWithQueue([{}]);
  const lead = captured(tenantId);
  await route(lead, contacted(tenantId, lead.subject));
  const row = await t.harness.db.selectFrom('assignments').select(['state', 'sla_due_at']).where('lead_id', '=', lead.subject).executeTakeFirstOrThrow();
  expect(row).toEqual({ state: 'contacted', sla_due_at: null });
});

it('sees the counters another effect of the chunk changed: a slot freed by a contact is used again', async () => {
  const { tenantId, ids, fallback } = await tenantWithQueue([{ caps: { maxOpen: 1 } }]);
  const [first, second] = [captured(tenantId), captured(tenantId)];
  await route(first, contacted(tenantId, first.subject), second);
  expect(await ownerOf(first.subject)).toBe(ids[0]);
  // With the member's counter as read before the contact, the cap would send this lead to the fallback.
  expect(await ownerOf(second.subject)).toBe(ids[0]);
  expect(await ownerOf(second.subject)).not.toBe(fallback);
  expect(await openCount(ids[0]!)).toBe(1);
});

it('assigns a lead captured twice in one chunk once, and leaves an earlier assignment alone', async () => {
  const { tenantId, ids } = await tenantWithQueue([{}, {}]);
  const earlier = captured(tenantId);
  await route(earlier);
  const before = await ownerOf(earlier.subject);
  const lead = captured(tenantId);
  const started = await route(lead, captured(tenantId, {}, earlier.subject), captured(tenantId, {}, lead.subject));
  expect(await ownerOf(earlier.subject)).toBe(before);
  expect((await historyOf(t.harness.db, lead.subject)).map((e) => e.type)).toEqual(['lead.assigned']);
  expect((await historyOf(t.harness.db, earlier.subject)).map((e) => e.type)).toEqual(['lead.assigned']);
  // One claim timer: the first capture's; repeats start none.
  expect([...started.values()].filter((timer) => timer !== null)).toEqual([expect.objectContaining({ leadId: lead.subject, kind: 'claim' })]);
  expect((await openCount(ids[0]!)) + (await openCount(ids[1]!))).toBe(2);
});

it('splits one large chunk by weight exactly as lead-by-lead picks would (1:3: one light pick in every 4)', async () => {
  const { tenantId, ids } = await tenantWithQueue([{ weight: 1 }, { weight: 3 }]);
  const leads = Array.from({ length: 40 }, () => captured(tenantId));
  await route(...leads);
  const owners = await Promise.all(leads.map((lead) => ownerOf(lead.subject)));
  // Smooth weighted round-robin from zero scores: every cycle of 4 picks has exactly one light pick.
  expect(owners.filter((o) => o === ids[0])).toHaveLength(10);
  expect(owners.filter((o) => o === ids[1])).toHaveLength(30);
  for (let i = 0; i < owners.length; i += 4) expect(owners.slice(i, i + 4).filter((o) => o === ids[0])).toHaveLength(1);
  const scores = await t.harness.db.selectFrom('queue_members').select('score').where('member_id', 'in', ids).execute();
  // A whole number of cycles brings every score back to zero: the batch saved the last pick's scores.
  expect(scores.map((s) => Number(s.score))).toEqual([0, 0]);
});

it('rolls the chunk back when another instance assigned one of its leads after the check, and the replay keeps that owner', async () => {
  const { tenantId, ids } = await tenantWithQueue([{}, {}]);
  const [contested, other] = [captured(tenantId), captured(tenantId)];
  let commitRival!: () => void;
  const rivalMayCommit = new Promise<void>((resolve) => (commitRival = resolve));
  let rivalPid = 0;
  // The rival inserts the contested lead and holds its transaction open: our check cannot see the row, and
  // our insert waits for the rival's outcome.
  const rival = t.harness.db.transaction().execute(async (trx) => {
    rivalPid = (await sql<{ pid: number }>`SELECT pg_backend_pid() AS pid`.execute(trx)).rows[0]!.pid;
    await sql`INSERT INTO assignments (lead_id, tenant_id, queue_id, member_id, state, correlation_id)
              VALUES (${contested.subject}, ${tenantId}, NULL, ${ids[1]!}, 'assigned', 'rival')`.execute(trx);
    await rivalMayCommit;
  });
  await waitUntil(async () => rivalPid !== 0);
  const ours = route(contested, other);
  await waitUntil(async () => (await sql<{ n: number }>`SELECT count(*)::int AS n FROM pg_stat_activity WHERE ${rivalPid}::int = ANY(pg_blocking_pids(pid))`.execute(t.harness.db)).rows[0]!.n > 0);
  commitRival();
  await rival;
  await expect(ours).rejects.toThrow(AssignmentRaceError);
  // Nothing of the rolled-back chunk stayed: no assignment for the other lead, no counters, no events.
  expect(await ownerOf(other.subject)).toBeUndefined();
  expect((await openCount(ids[0]!)) + (await openCount(ids[1]!))).toBe(0);
  expect(await historyOf(t.harness.db, other.subject)).toEqual([]);
  // The replay (what the consumer does next) leaves the rival's lead alone and assigns the other.
  await route(contested, other);
  expect(await ownerOf(contested.subject)).toBe(ids[1]);
  expect(await historyOf(t.harness.db, contested.subject)).toEqual([]);
  expect(ids).toContain(await ownerOf(other.subject));
});

async function waitUntil(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
