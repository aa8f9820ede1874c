import type { EventData, EventOf, LifecycleEvent } from '@baton/contracts';
import { enqueue, PermanentError } from '@baton/kafka';
import type { Kysely } from 'kysely';
import { recordAssignments, type AssignmentCount, type RotationScore } from '../db/assignment.repository.js';
import { recordUnrouted } from '../db/unrouted.repository.js';
import type { StoredQueue } from '../db/queue.repository.js';
import type { Database } from '../db/schema.js';
import { claimClock, dueAfter, timerOf, type Assignment, type Timer } from '../domain/assignment.js';
import { dayCountOn, decideOwner, type OwnerDecision } from '../domain/eligibility.js';
import { contractRole } from '../domain/roles.js';
import { chooseQueue, leadFactsOf, type QueueChoice } from '../domain/rules.js';
import type { LeadToRoute, Member, Rule } from '../domain/types.js';
import { localDate } from '../domain/working-hours.js';
import { routingEvent } from './emit.js';
import { candidatesOf, lockPools, memberOf, readContext, stateOf, type Pool, type StagedLead, type TrxState } from './locked-pools.js';

// Assignment in two steps, so that a chunk of N captured leads costs a handful of statements, not N of each:
// stageCapturedLead only notes the lead; assignStagedLeads (at the end of the transaction, or before any other
// effect in it) decides every staged lead in order, in memory, under the queue locks, and writes the results
// in multi-row statements. The decisions are exactly those of one lead at a time: each pick sees the scores
// and counters the previous picks of the batch left.

type Db = Kysely<Database>;
type Deps = { clock: () => Date; topic: string };

/** Everything a batch writes, gathered while deciding. */
type Plan = {
  assignments: Assignment[];
  events: Array<Extract<LifecycleEvent, { type: 'lead.assigned' }>>;
  /** Last score per queue member: each pick rewrites the whole queue's scores. */
  scores: Map<string, RotationScore>;
  counts: Map<string, AssignmentCount>;
  /** Leads no queue took: kept to be routed once one can. */
  unrouted: LeadToRoute[];
};

/** Another instance assigned one of the leads between our check and our insert; the chunk is replayed. */
export class AssignmentRaceError extends Error {
  readonly code = 'assignment_race';
  constructor(expected: number, inserted: number) {
    super(`${expected - inserted} of ${expected} leads were assigned concurrently; retrying`);
    this.name = 'AssignmentRaceError';
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Notes a captured lead for assignment by assignStagedLeads in the same transaction. */
export function stageCapturedLead(trx: Db, event: EventOf<'lead.captured'>, tag: string): void {
  // Routing rows key on tenant uuids; anything else cannot be a tenant and would fail the same way forever.
  if (!UUID.test(event.tenantid)) throw new PermanentError('invalid_tenant', 'tenantid is not a tenant id');
  const lead = { leadId: event.subject, tenantId: event.tenantid, correlationId: event.correlationid, causationId: event.id, facts: leadFactsOf(event.data) };
  stageLead(trx, lead, tag);
}

/** Notes a lead without an assignment for assignStagedLeads in the same transaction. */
export function stageLead(trx: Db, lead: LeadToRoute, tag: string): void {
  stateOf(trx).staged.push({ lead, tag });
}

function assignedData(queue: StoredQueue, owner: Member, decision: OwnerDecision, rule: Rule | null, a: Assignment): EventData<'lead.assigned'> {
  const reason = decision.fallback ? 'fallback' : rule ? 'rule_match' : 'default_queue';
  return {
    owner: { memberId: owner.id, role: contractRole(owner.role) },
    queueId: queue.id,
    reason,
    routing: { ruleId: rule?.id ?? null, ...(rule ? { matchedRule: rule.name } : {}), considered: decision.considered.slice(0, 500), fallback: decision.fallback },
    assignedAt: a.assignedAt!.toISOString(),
    claimDeadline: a.claimDeadline!.toISOString(),
  };
}

function newAssignment(lead: LeadToRoute, queue: StoredQueue | null, owner: Member | null, now: Date): Assignment {
  const deadline = queue && owner ? dueAfter(queue, owner, now, queue.claimSlaSeconds) : null;
  return {
    leadId: lead.leadId,
    tenantId: lead.tenantId,
    queueId: queue?.id ?? null,
    memberId: owner?.id ?? null,
    state: owner ? 'assigned' : 'unrouted',
    correlationId: lead.correlationId,
    assignedAt: owner ? now : null,
    ownerSince: owner ? now : null,
    claimDeadline: deadline,
    claimedAt: null,
    firstTouchDeadline: null,
    contactedAt: null,
    closedAt: null,
    overdueSince: null,
    sla: deadline ? claimClock(deadline, 0) : { kind: null, step: 0, level: 0, dueAt: null, version: 0 },
  };
}

type Route = StagedLead & { choice: QueueChoice | null };

/**
 * The staged leads without an assignment yet, each once (a re-capture or a redelivery keeps its owner), with
 * the queue each goes to; their queues are locked on return.
 */
async function routesOf(trx: Db, state: TrxState, staged: readonly StagedLead[]): Promise<Route[]> {
  const { assigned, tables } = await readContext(trx, state, staged);
  const routes: Route[] = [];
  for (const s of staged) {
    if (assigned.has(s.lead.leadId)) continue;
    assigned.add(s.lead.leadId);
    const table = tables.get(s.lead.tenantId) ?? { rules: [], defaultQueueId: null };
    routes.push({ ...s, choice: chooseQueue(table.rules, table.defaultQueueId, s.lead.facts) });
  }
  await lockPools(trx, state, routes.flatMap((r) => (r.choice ? [r.choice.queueId] : [])));
  return routes;
}

// Mirrors in memory what the batch will write, for the next lead of this transaction.
function applyPick(plan: Plan, pool: Pool, decision: OwnerDecision, owner: Member, today: string): void {
  for (const [memberId, score] of decision.scores) {
    pool.scores.set(memberId, score);
    plan.scores.set(`${pool.queue.id}/${memberId}`, { queueId: pool.queue.id, memberId, score });
  }
  owner.dayCount = dayCountOn(owner, today) + 1;
  owner.dayOf = today;
  owner.openCount += 1;
  const count = plan.counts.get(owner.id);
  // One clock reading per batch: a member's local day is the same for all its leads of the batch.
  if (count) count.leads += 1;
  else plan.counts.set(owner.id, { memberId: owner.id, today, leads: 1 });
}

async function decide(trx: Db, state: TrxState, route: Route, now: Date, plan: Plan): Promise<Timer | null> {
  const pool = route.choice && state.pools.get(route.choice.queueId);
  if (!route.choice || !pool) {
    plan.assignments.push(newAssignment(route.lead, null, null, now));
    plan.unrouted.push(route.lead);
    return null;
  }
  const decision = decideOwner(pool.queue, candidatesOf(state, pool), now);
  const owner = await memberOf(trx, state, decision.ownerId);
  const { lead } = route;
  const assignment = newAssignment(lead, pool.queue, owner, now);
  const meta = { leadId: lead.leadId, tenantId: lead.tenantId, correlationId: lead.correlationId, causationId: lead.causationId, time: now };
  plan.assignments.push(assignment);
  plan.events.push(routingEvent('lead.assigned', assignedData(pool.queue, owner, decision, route.choice.rule, assignment), meta));
  applyPick(plan, pool, decision, owner, localDate(now, owner.timeZone));
  return timerOf(assignment);
}

async function write(trx: Db, plan: Plan, topic: string): Promise<void> {
  const batch = { assignments: plan.assignments, scores: [...plan.scores.values()], counts: [...plan.counts.values()], history: plan.events };
  const inserted = await recordAssignments(trx, batch);
  // routesOf saw none of these assigned, but an instance that committed since (a rebalance) may have: the
  // rotation state above counted leads that are not ours. Fail the transaction; its replay sees the winner.
  if (inserted < plan.assignments.length) throw new AssignmentRaceError(plan.assignments.length, inserted);
  await recordUnrouted(trx, plan.unrouted);
  // The history went with the assignments; the events go out through the outbox like every routing event.
  await enqueue(trx, plan.events, topic);
}

/**
 * Assigns the leads staged in this transaction, in the order they were staged: first matching rule (or the
 * default queue), then weighted rotation among eligible members, or the queue's fallback. Emits lead.assigned
 * with the trace. A lead that already has an assignment keeps it; a lead no queue takes gets an 'unrouted'
 * record (route-unrouted.ts routes it once a queue can). Resolves to each staged lead's claim timer by tag (null when none was started).
 */
export async function assignStagedLeads(trx: Db, deps: Deps): Promise<Map<string, Timer | null>> {
  const state = stateOf(trx);
  const staged = state.staged.splice(0);
  const timers = new Map<string, Timer | null>(staged.map((s) => [s.tag, null]));
  if (staged.length === 0) return timers;
  const routes = await routesOf(trx, state, staged);
  const now = deps.clock();
  const plan: Plan = { assignments: [], events: [], scores: new Map(), counts: new Map(), unrouted: [] };
  for (const route of routes) timers.set(route.tag, await decide(trx, state, route, now, plan));
  await write(trx, plan, deps.topic);
  return timers;
}
