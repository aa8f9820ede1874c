import type { Kysely } from 'kysely';
import { lockMembers, lockQueueCandidates } from '../db/member.repository.js';
import { lockQueues, type StoredQueue } from '../db/queue.repository.js';
import { routingContext, type RoutingTable } from '../db/rule.repository.js';
import type { Database } from '../db/schema.js';
import type { Candidate } from '../domain/eligibility.js';
import type { LeadToRoute, Member } from '../domain/types.js';

// The Kafka runner applies a chunk of events in ONE transaction. What that transaction has locked and read is
// kept here, keyed by the transaction object: the first leads of a queue lock the queue row and its members
// and read the rotation; later leads of the chunk reuse that state from memory instead of re-reading it. That
// is safe because the locks are held until this very transaction ends, and the memory is dropped with the
// transaction object if it rolls back (the runner then replays the chunk in new transactions). Members are
// shared across the queues of one transaction so a member in two queues has one set of counters.

type Db = Kysely<Database>;

/** A queue locked in this transaction with its members' rotation scores. */
export type Pool = { queue: StoredQueue; scores: Map<string, number> };
/** A lead waiting for the end of its transaction to be assigned; `tag` names it in the result. */
export type StagedLead = { lead: LeadToRoute; tag: string };
/** What one transaction has staged, locked and read so far. */
export type TrxState = { staged: StagedLead[]; tables: Map<string, RoutingTable>; pools: Map<string, Pool | null>; members: Map<string, Member> };

const perTransaction = new WeakMap<object, TrxState>();

/** The transaction's state, created on first use. */
export function stateOf(trx: Db): TrxState {
  let state = perTransaction.get(trx);
  if (!state) perTransaction.set(trx, (state = { staged: [], tables: new Map(), pools: new Map(), members: new Map() }));
  return state;
}

/**
 * Forgets the rows read under lock (the locks stay until the transaction ends). Called after an effect other
 * than assignment changed member counters in this transaction: the next assignment re-reads them.
 */
export function forgetLockedRows(trx: Db): void {
  const state = perTransaction.get(trx);
  state?.pools.clear();
  state?.members.clear();
}

/**
 * Which of the staged leads already have an assignment, and the routing tables of their tenants (each read
 * once per transaction): one round trip.
 */
export async function readContext(trx: Db, state: TrxState, staged: readonly StagedLead[]): Promise<{ assigned: Set<string>; tables: Map<string, RoutingTable> }> {
  const tenants = [...new Set(staged.map((s) => s.lead.tenantId))].filter((id) => !state.tables.has(id));
  const { assigned, tables } = await routingContext(trx, tenants, [...new Set(staged.map((s) => s.lead.leadId))]);
  // A tenant without rules or queues still gets its (empty) table: it is not read again in this transaction.
  for (const id of tenants) state.tables.set(id, tables.get(id) ?? { rules: [], defaultQueueId: null });
  return { assigned, tables: state.tables };
}

/**
 * Locks the queues not yet locked by this transaction, then their members, in two statements whatever their
 * number. Queues are locked before any member, each set in id order: two instances wanting overlapping queues
 * queue up on the first one instead of holding one each.
 */
export async function lockPools(trx: Db, state: TrxState, queueIds: Iterable<string>): Promise<void> {
  const wanted = [...new Set(queueIds)].filter((id) => !state.pools.has(id)).sort();
  if (wanted.length === 0) return;
  const queues = await lockQueues(trx, wanted);
  const candidates = await lockQueueCandidates(trx, queues.map((queue) => queue.id));
  for (const id of wanted) state.pools.set(id, null); // deleted since a rule named it: those leads go unrouted
  for (const queue of queues) state.pools.set(queue.id, { queue, scores: new Map() });
  for (const { score, queueId, ...member } of candidates) {
    if (!state.members.has(member.id)) state.members.set(member.id, member);
    state.pools.get(queueId)?.scores.set(member.id, score);
  }
}

/** The queue's members in rotation order, with this transaction's view of their scores and counters. */
export function candidatesOf(state: TrxState, pool: Pool): Candidate[] {
  return pool.queue.memberIds.flatMap((id) => {
    const member = state.members.get(id);
    return member ? [{ ...member, score: pool.scores.get(id) ?? 0 }] : [];
  });
}

/** A member by id; the fallback usually sits outside the rotation (a manager, an ops lead): locked on first use. */
export async function memberOf(trx: Db, state: TrxState, id: string): Promise<Member> {
  const known = state.members.get(id);
  if (known) return known;
  const [member] = await lockMembers(trx, [id]);
  // queues.fallback_member_id is a foreign key: a missing member means a broken database, not a bad event.
  if (!member) throw new Error(`member ${id} not found`);
  state.members.set(id, member);
  return member;
}
