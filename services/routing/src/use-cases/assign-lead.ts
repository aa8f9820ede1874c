import type { EventData, EventOf } from '@baton/contracts';
import { PermanentError } from '@baton/kafka';
import type { Kysely } from 'kysely';
import { insertAssignment, recordAssignment } from '../db/assignment.repository.js';
import { lockCandidates, lockMembers } from '../db/member.repository.js';
import { lockQueue, type StoredQueue } from '../db/queue.repository.js';
import { routingTable } from '../db/rule.repository.js';
import type { Database } from '../db/schema.js';
import { claimClock, dueAfter, timerOf, type Assignment, type Timer } from '../domain/assignment.js';
import { dayCountOn, decideOwner, type Candidate, type OwnerDecision } from '../domain/eligibility.js';
import { contractRole } from '../domain/roles.js';
import { chooseQueue, leadFactsOf } from '../domain/rules.js';
import type { Member, Rule } from '../domain/types.js';
import { localDate } from '../domain/working-hours.js';
import { routingEvent } from './emit.js';

type Db = Kysely<Database>;
type RoutingTable = Awaited<ReturnType<typeof routingTable>>;
/** A queue locked in this transaction with its members' rotation scores. */
type Pool = { queue: StoredQueue; scores: Map<string, number> };
/** What one transaction has locked and read so far. */
type TrxState = { tables: Map<string, RoutingTable>; pools: Map<string, Pool | null>; members: Map<string, Member> };

// The Kafka runner applies a chunk of events in ONE transaction. The first lead of a queue locks the queue row
// and its members and reads the rotation; the next leads of the chunk reuse that state from memory instead of
// re-reading it. That is safe because the locks are held until this very transaction ends, and the memory is
// dropped with the transaction object if it rolls back (the runner then replays the chunk in new transactions).
// Members are shared across the queues of one transaction so a member in two queues has one set of counters.
const perTransaction = new WeakMap<object, TrxState>();

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function stateOf(trx: Db): TrxState {
  let state = perTransaction.get(trx);
  if (!state) perTransaction.set(trx, (state = { tables: new Map(), pools: new Map(), members: new Map() }));
  return state;
}

async function tableOf(trx: Db, state: TrxState, tenantId: string): Promise<RoutingTable> {
  const cached = state.tables.get(tenantId);
  if (cached) return cached;
  const table = await routingTable(trx, tenantId);
  state.tables.set(tenantId, table);
  return table;
}

async function poolOf(trx: Db, state: TrxState, queueId: string): Promise<Pool | null> {
  const cached = state.pools.get(queueId);
  if (cached !== undefined) return cached;
  const queue = await lockQueue(trx, queueId);
  let pool: Pool | null = null;
  if (queue) {
    const candidates = await lockCandidates(trx, queueId);
    for (const { score: _score, ...member } of candidates) if (!state.members.has(member.id)) state.members.set(member.id, member);
    pool = { queue, scores: new Map(candidates.map((candidate) => [candidate.id, candidate.score])) };
  }
  state.pools.set(queueId, pool);
  return pool;
}

function candidatesOf(state: TrxState, pool: Pool): Candidate[] {
  return pool.queue.memberIds.flatMap((id) => {
    const member = state.members.get(id);
    return member ? [{ ...member, score: pool.scores.get(id) ?? 0 }] : [];
  });
}

// The fallback usually sits outside the rotation (a manager, an ops lead): lock it on first use.
async function memberOf(trx: Db, state: TrxState, id: string): Promise<Member> {
  const known = state.members.get(id);
  if (known) return known;
  const [member] = await lockMembers(trx, [id]);
  // queues.fallback_member_id is a foreign key: a missing member means a broken database, not a bad event.
  if (!member) throw new Error(`member ${id} not found`);
  state.members.set(id, member);
  return member;
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

function newAssignment(event: EventOf<'lead.captured'>, queue: StoredQueue | null, owner: Member | null, now: Date): Assignment {
  const deadline = queue && owner ? dueAfter(queue, owner, now, queue.claimSlaSeconds) : null;
  return {
    leadId: event.subject,
    tenantId: event.tenantid,
    queueId: queue?.id ?? null,
    memberId: owner?.id ?? null,
    state: owner ? 'assigned' : 'unrouted',
    correlationId: event.correlationid,
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

// Mirrors what recordAssignment wrote, for the next lead of this transaction.
function applyPick(pool: Pool, decision: OwnerDecision, owner: Member, today: string): void {
  for (const [id, score] of decision.scores) pool.scores.set(id, score);
  owner.dayCount = dayCountOn(owner, today) + 1;
  owner.dayOf = today;
  owner.openCount += 1;
}

/**
 * Assigns a freshly captured lead: first matching rule (or the default queue), then weighted rotation among
 * eligible members, or the queue's fallback. Emits lead.assigned with the trace and returns the claim timer.
 * A lead that already has an assignment keeps it; a tenant without routing gets an 'unrouted' record.
 */
export async function assignCapturedLead(trx: Db, event: EventOf<'lead.captured'>, deps: { clock: () => Date; topic: string }): Promise<Timer | null> {
  // Routing rows key on tenant uuids; anything else cannot be a tenant and would fail the same way forever.
  if (!UUID.test(event.tenantid)) throw new PermanentError('invalid_tenant', 'tenantid is not a tenant id');
  const state = stateOf(trx);
  const table = await tableOf(trx, state, event.tenantid);
  const choice = chooseQueue(table.rules, table.defaultQueueId, leadFactsOf(event.data));
  const pool = choice && (await poolOf(trx, state, choice.queueId));
  const now = deps.clock();
  if (!choice || !pool) {
    await insertAssignment(trx, newAssignment(event, null, null, now));
    return null;
  }
  const decision = decideOwner(pool.queue, candidatesOf(state, pool), now);
  const owner = await memberOf(trx, state, decision.ownerId);
  const assignment = newAssignment(event, pool.queue, owner, now);
  const meta = { leadId: event.subject, tenantId: event.tenantid, correlationId: event.correlationid, causationId: event.id, time: now };
  const assigned = routingEvent('lead.assigned', assignedData(pool.queue, owner, decision, choice.rule, assignment), meta);
  const today = localDate(now, owner.timeZone);
  // The primary key decides: a lead that already has an assignment (re-capture, redelivery) writes nothing.
  if (!(await recordAssignment(trx, assignment, { scores: decision.scores, ownerToday: today, event: assigned, topic: deps.topic }))) return null;
  applyPick(pool, decision, owner, today);
  return timerOf(assignment);
}
