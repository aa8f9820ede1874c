import type { LifecycleEvent } from '@baton/contracts';
import { sql, type Kysely, type Selectable } from 'kysely';
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

/** A member's rotation score in a queue, as a batch of picks left it. */
export type RotationScore = { queueId: string; memberId: string; score: number };
/** Leads a batch gave one member, all on the member's local day `today`. */
export type AssignmentCount = { memberId: string; today: string; leads: number };
/** What a batch of first assignments writes besides the outbox: rows, rotation, caps' counters, history. */
export type AssignmentBatch = {
  assignments: readonly Assignment[];
  scores: readonly RotationScore[];
  counts: readonly AssignmentCount[];
  /** The lead.assigned events, for the leads' routing history (recordHistory's rows). */
  history: readonly LifecycleEvent[];
};

const column = <T, V>(list: readonly T[], pick: (item: T) => V): V[] => list.map(pick);

/**
 * The hot path of assignment in ONE statement (statements under the queue lock are what every other lead of
 * the queue waits for): inserts the batch's assignments (column arrays, so the statement does not grow with
 * the batch) and, only if every one of them was new, saves the rotation scores, counts the leads against the
 * owners' caps and records the history entries (the rows recordHistory writes, column for column). Resolves
 * to the number of new assignments; fewer than the batch means a lead already had one (the primary key
 * decides) and nothing but those inserts happened: the caller must roll back.
 */
export async function recordAssignments(trx: Db, batch: AssignmentBatch): Promise<number> {
  const { assignments: list, scores, counts, history } = batch;
  if (list.length === 0) return 0;
  const { rows } = await sql<{ inserted: number }>`
    WITH ins AS (
      INSERT INTO assignments (lead_id, tenant_id, queue_id, member_id, state, correlation_id, assigned_at, owner_since,
                               claim_deadline, sla_kind, sla_step, sla_level, sla_due_at, sla_version)
      SELECT * FROM unnest(
        ${column(list, (a) => a.leadId)}::uuid[], ${column(list, (a) => a.tenantId)}::uuid[], ${column(list, (a) => a.queueId)}::uuid[],
        ${column(list, (a) => a.memberId)}::uuid[], ${column(list, (a) => a.state)}::text[], ${column(list, (a) => a.correlationId)}::text[],
        ${column(list, (a) => a.assignedAt)}::timestamptz[], ${column(list, (a) => a.ownerSince)}::timestamptz[],
        ${column(list, (a) => a.claimDeadline)}::timestamptz[], ${column(list, (a) => a.sla.kind)}::text[], ${column(list, (a) => a.sla.step)}::int[],
        ${column(list, (a) => a.sla.level)}::int[], ${column(list, (a) => a.sla.dueAt)}::timestamptz[], ${column(list, (a) => a.sla.version)}::int[])
      ON CONFLICT (lead_id) DO NOTHING
      RETURNING lead_id
    ), complete AS (
      SELECT count(*) = ${list.length} AS ok FROM ins
    ), scored AS (
      UPDATE queue_members qm SET score = v.score
      FROM unnest(${column(scores, (s) => s.queueId)}::uuid[], ${column(scores, (s) => s.memberId)}::uuid[], ${column(scores, (s) => s.score)}::bigint[]) AS v(queue_id, member_id, score)
      WHERE qm.queue_id = v.queue_id AND qm.member_id = v.member_id AND (SELECT ok FROM complete)
    ), counted AS (
      UPDATE members m SET open_count = m.open_count + v.leads,
        day_count = CASE WHEN m.day_of = v.today THEN m.day_count + v.leads ELSE v.leads END, day_of = v.today
      FROM unnest(${column(counts, (c) => c.memberId)}::uuid[], ${column(counts, (c) => c.today)}::date[], ${column(counts, (c) => c.leads)}::int[]) AS v(id, today, leads)
      WHERE m.id = v.id AND (SELECT ok FROM complete)
    ), noted AS (
      INSERT INTO routing_history (lead_id, tenant_id, event_id, type, data, at)
      SELECT * FROM unnest(${column(history, (e) => e.subject)}::uuid[], ${column(history, (e) => e.tenantid)}::uuid[], ${column(history, (e) => e.id)}::uuid[],
                           ${column(history, (e) => e.type)}::text[], ${column(history, (e) => JSON.stringify(e.data))}::jsonb[], ${column(history, (e) => e.time)}::timestamptz[])
      WHERE (SELECT ok FROM complete)
    )
    SELECT count(*)::int AS inserted FROM ins`.execute(trx);
  return rows[0]?.inserted ?? 0;
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
