import { sql, type Kysely, type Selectable } from 'kysely';
import type { EventOf } from '@baton/contracts';
import type { Assignment, Timer } from '../domain/assignment.js';
import type { AssignmentState, SlaKind } from '../domain/types.js';
import type { AssignmentsTable, Database } from './schema.js';

type Db = Kysely<Database>;

function toAssignment(row: Selectable<AssignmentsTable>): Assignment {
  return {
    leadId: row.lead_id,
    tenantId: row.tenant_id,
    queueId: row.queue_id,
    memberId: row.member_id,
    state: row.state as AssignmentState,
    correlationId: row.correlation_id,
    assignedAt: row.assigned_at,
    ownerSince: row.owner_since,
    claimDeadline: row.claim_deadline,
    claimedAt: row.claimed_at,
    firstTouchDeadline: row.first_touch_deadline,
    contactedAt: row.contacted_at,
    closedAt: row.closed_at,
    overdueSince: row.overdue_since,
    sla: { kind: row.sla_kind as SlaKind | null, step: row.sla_step, level: row.sla_level, dueAt: row.sla_due_at, version: row.sla_version },
  };
}

function toRow(a: Assignment) {
  return {
    queue_id: a.queueId,
    member_id: a.memberId,
    state: a.state,
    assigned_at: a.assignedAt,
    owner_since: a.ownerSince,
    claim_deadline: a.claimDeadline,
    claimed_at: a.claimedAt,
    first_touch_deadline: a.firstTouchDeadline,
    contacted_at: a.contactedAt,
    closed_at: a.closedAt,
    overdue_since: a.overdueSince,
    sla_kind: a.sla.kind,
    sla_step: a.sla.step,
    sla_level: a.sla.level,
    sla_due_at: a.sla.dueAt,
    sla_version: a.sla.version,
  };
}

/**
 * Records a lead's first assignment; false when the lead already has one (a re-capture, a redelivery that
 * slipped past the inbox, or a concurrent instance during a rebalance: the primary key decides, and the
 * loser writes nothing).
 */
export async function insertAssignment(trx: Db, a: Assignment): Promise<boolean> {
  const row = await trx
    .insertInto('assignments')
    .values({ ...toRow(a), lead_id: a.leadId, tenant_id: a.tenantId, correlation_id: a.correlationId })
    .onConflict((oc) => oc.column('lead_id').doNothing())
    .returning('lead_id')
    .executeTakeFirst();
  return row !== undefined;
}

/** What the hot path writes for one new assignment besides the assignment row. */
export type AssignmentSideEffects = { scores: ReadonlyMap<string, number>; ownerToday: string; event: EventOf<'lead.assigned'>; topic: string };

/**
 * The hot path of assignment in ONE statement, because statements under the queue lock are what limits
 * throughput (every lead of a queue waits for the lock). It inserts the assignment and, only if that insert
 * happened, saves the rotation scores, counts the lead against the owner's caps, records the history entry
 * and enqueues lead.assigned. The last two CTEs mirror recordHistory and @baton/kafka's enqueue column for
 * column (same tables, same statement trigger waking the relay); anything else in routing uses those two.
 * Resolves to false when the lead already had an assignment, and then nothing at all was written.
 */
export async function recordAssignment(trx: Db, a: Assignment, fx: AssignmentSideEffects): Promise<boolean> {
  const { event } = fx;
  const ids = [...fx.scores.keys()];
  const scores = ids.map((id) => fx.scores.get(id) ?? 0);
  const { rows } = await sql<{ inserted: number }>`
    WITH ins AS (
      INSERT INTO assignments (lead_id, tenant_id, queue_id, member_id, state, correlation_id, assigned_at, owner_since,
                               claim_deadline, sla_kind, sla_step, sla_level, sla_due_at, sla_version)
      VALUES (${a.leadId}, ${a.tenantId}, ${a.queueId}, ${a.memberId}, ${a.state}, ${a.correlationId}, ${a.assignedAt}, ${a.ownerSince},
              ${a.claimDeadline}, ${a.sla.kind}, ${a.sla.step}, ${a.sla.level}, ${a.sla.dueAt}, ${a.sla.version})
      ON CONFLICT (lead_id) DO NOTHING
      RETURNING lead_id
    ), scored AS (
      UPDATE queue_members qm SET score = v.score
      FROM unnest(${ids}::uuid[], ${scores}::bigint[]) AS v(member_id, score)
      WHERE qm.queue_id = ${a.queueId} AND qm.member_id = v.member_id AND EXISTS (SELECT 1 FROM ins)
    ), counted AS (
      UPDATE members SET open_count = open_count + 1,
        day_count = CASE WHEN day_of = ${fx.ownerToday}::date THEN day_count + 1 ELSE 1 END, day_of = ${fx.ownerToday}::date
      WHERE id = ${a.memberId} AND EXISTS (SELECT 1 FROM ins)
    ), noted AS (
      INSERT INTO routing_history (lead_id, tenant_id, event_id, type, data, at)
      SELECT ${a.leadId}, ${a.tenantId}, ${event.id}, ${event.type}, ${JSON.stringify(event.data)}::jsonb, ${event.time}
      WHERE EXISTS (SELECT 1 FROM ins)
    ), queued AS (
      INSERT INTO outbox (event_id, topic, message_key, event_type, payload)
      SELECT ${event.id}::uuid, ${fx.topic}, ${event.subject}, ${event.type}, ${JSON.stringify(event)}::jsonb
      WHERE EXISTS (SELECT 1 FROM ins)
    )
    SELECT count(*)::int AS inserted FROM ins`.execute(trx);
  return (rows[0]?.inserted ?? 0) > 0;
}

/** Writes every mutable column of an assignment the caller holds locked. */
export async function saveAssignment(trx: Db, a: Assignment): Promise<void> {
  await trx.updateTable('assignments').set({ ...toRow(a), updated_at: sql`now()` }).where('lead_id', '=', a.leadId).execute();
}

/** A lead's assignment; with `tenantId`, only if it belongs to that tenant. */
export async function findAssignment(db: Db, leadId: string, tenantId?: string): Promise<Assignment | undefined> {
  let query = db.selectFrom('assignments').selectAll().where('lead_id', '=', leadId);
  if (tenantId !== undefined) query = query.where('tenant_id', '=', tenantId);
  const row = await query.executeTakeFirst();
  return row && toAssignment(row);
}

/** Locks and reads a lead's assignment for a state change (claim, release, timer, contact). */
export async function lockAssignment(trx: Db, leadId: string, tenantId?: string): Promise<Assignment | undefined> {
  let query = trx.selectFrom('assignments').selectAll().where('lead_id', '=', leadId);
  if (tenantId !== undefined) query = query.where('tenant_id', '=', tenantId);
  const row = await query.forUpdate().executeTakeFirst();
  return row && toAssignment(row);
}

/** Pending timers in due order, after `afterLeadId` for paging; with `dueBefore`, only those already late. */
export async function pendingTimers(db: Db, opts: { limit: number; dueBefore?: Date; after?: { dueAt: Date; leadId: string } }): Promise<Timer[]> {
  let query = db
    .selectFrom('assignments')
    .select(['lead_id', 'sla_kind', 'sla_step', 'sla_version', 'sla_due_at'])
    .where('sla_due_at', 'is not', null)
    .where('sla_kind', 'is not', null);
  if (opts.dueBefore) query = query.where('sla_due_at', '<', opts.dueBefore);
  const after = opts.after;
  if (after) query = query.where((eb) => eb.or([eb('sla_due_at', '>', after.dueAt), eb.and([eb('sla_due_at', '=', after.dueAt), eb('lead_id', '>', after.leadId)])]));
  const rows = await query.orderBy('sla_due_at').orderBy('lead_id').limit(opts.limit).execute();
  return rows.map((row) => ({ leadId: row.lead_id, kind: row.sla_kind as SlaKind, step: row.sla_step, version: row.sla_version, dueAt: row.sla_due_at! }));
}

/** A queue's backlog: unclaimed leads and claimed ones overdue for first touch, oldest owner first. */
export async function backlog(db: Db, tenantId: string, queueId: string, limit: number): Promise<Assignment[]> {
  const rows = await db
    .selectFrom('assignments')
    .selectAll()
    .where('queue_id', '=', queueId)
    .where('tenant_id', '=', tenantId)
    .where((eb) => eb.or([eb('state', '=', 'assigned'), eb.and([eb('state', '=', 'claimed'), eb('overdue_since', 'is not', null)])]))
    .orderBy('owner_since')
    .orderBy('lead_id')
    .limit(limit)
    .execute();
  return rows.map(toAssignment);
}
