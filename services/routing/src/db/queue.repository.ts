import { sql, type Kysely, type Selectable } from 'kysely';
import type { Queue } from '../domain/types.js';
import type { Database, QueuesTable } from './schema.js';

type Db = Kysely<Database>;

/** A queue as stored, plus its audit timestamps. */
export type StoredQueue = Queue & { createdAt: Date; updatedAt: Date };

/** What an admin sets on a queue. */
export type QueueInput = Omit<Queue, 'id' | 'tenantId'>;

type QueueRow = Selectable<QueuesTable> & { member_ids: string[] | null };

// Members in rotation order, aggregated in the same statement as the queue row.
const MEMBER_IDS = sql<string[] | null>`(SELECT array_agg(member_id ORDER BY position) FROM queue_members WHERE queue_id = queues.id)`.as('member_ids');

function toQueue(row: QueueRow): StoredQueue {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    name: row.name,
    isDefault: row.is_default,
    claimSlaSeconds: row.claim_sla_seconds,
    firstTouchSlaSeconds: row.first_touch_sla_seconds,
    businessHoursOnly: row.business_hours_only,
    ignoreWorkingHours: row.ignore_working_hours,
    fallbackMemberId: row.fallback_member_id,
    escalation: row.escalation,
    memberIds: row.member_ids ?? [],
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function toRow(input: Partial<QueueInput>) {
  return {
    name: input.name,
    is_default: input.isDefault,
    claim_sla_seconds: input.claimSlaSeconds,
    first_touch_sla_seconds: input.firstTouchSlaSeconds,
    business_hours_only: input.businessHoursOnly,
    ignore_working_hours: input.ignoreWorkingHours,
    fallback_member_id: input.fallbackMemberId,
    escalation: input.escalation === undefined ? undefined : JSON.stringify(input.escalation),
  };
}

// The partial unique index allows one default per tenant: the old default steps down in the same transaction.
async function clearDefault(trx: Db, tenantId: string, exceptId: string): Promise<void> {
  await trx.updateTable('queues').set({ is_default: false }).where('tenant_id', '=', tenantId).where('is_default', '=', true).where('id', '!=', exceptId).execute();
}

// Rotation scores start at 0 for newcomers and are kept for members who stay, so an edit does not reset fairness.
async function replaceMembers(trx: Db, queueId: string, memberIds: readonly string[]): Promise<void> {
  let leaving = trx.deleteFrom('queue_members').where('queue_id', '=', queueId);
  if (memberIds.length > 0) leaving = leaving.where('member_id', 'not in', [...memberIds]);
  await leaving.execute();
  if (memberIds.length === 0) return;
  await trx
    .insertInto('queue_members')
    .values(memberIds.map((memberId, position) => ({ queue_id: queueId, member_id: memberId, position })))
    .onConflict((oc) => oc.columns(['queue_id', 'member_id']).doUpdateSet({ position: (eb) => eb.ref('excluded.position') }))
    .execute();
}

/** Stores a new queue with its members (inside the caller's transaction). */
export async function insertQueue(trx: Db, tenantId: string, id: string, input: QueueInput): Promise<StoredQueue> {
  if (input.isDefault) await clearDefault(trx, tenantId, id);
  await trx.insertInto('queues').values({ ...toRow(input), id, tenant_id: tenantId, name: input.name, fallback_member_id: input.fallbackMemberId, first_touch_sla_seconds: input.firstTouchSlaSeconds }).execute();
  await replaceMembers(trx, id, input.memberIds);
  return (await findQueue(trx, tenantId, id))!;
}

/** Applies the given fields (inside the caller's transaction); undefined when the tenant has no such queue. */
export async function updateQueue(trx: Db, tenantId: string, id: string, patch: Partial<QueueInput>): Promise<StoredQueue | undefined> {
  if (patch.isDefault) await clearDefault(trx, tenantId, id);
  const updated = await trx.updateTable('queues').set({ ...toRow(patch), updated_at: sql`now()` }).where('id', '=', id).where('tenant_id', '=', tenantId).returning('id').executeTakeFirst();
  if (!updated) return undefined;
  if (patch.memberIds !== undefined) await replaceMembers(trx, id, patch.memberIds);
  return findQueue(trx, tenantId, id);
}

/** One queue of the tenant. */
export async function findQueue(db: Db, tenantId: string, id: string): Promise<StoredQueue | undefined> {
  const row = await db.selectFrom('queues').selectAll().select(MEMBER_IDS).where('id', '=', id).where('tenant_id', '=', tenantId).executeTakeFirst();
  return row && toQueue(row);
}

/** The tenant's queues, oldest first. */
export async function listQueues(db: Db, tenantId: string): Promise<StoredQueue[]> {
  const rows = await db.selectFrom('queues').selectAll().select(MEMBER_IDS).where('tenant_id', '=', tenantId).orderBy('created_at').orderBy('id').execute();
  return rows.map(toQueue);
}

/** Whether a rule still routes to the queue. */
export async function queueInUse(db: Db, id: string): Promise<boolean> {
  return (await db.selectFrom('rules').select('id').where('queue_id', '=', id).executeTakeFirst()) !== undefined;
}

/** Deletes a queue (its membership rows go with it); false when the tenant has no such queue. */
export async function deleteQueue(db: Db, tenantId: string, id: string): Promise<boolean> {
  const result = await db.deleteFrom('queues').where('id', '=', id).where('tenant_id', '=', tenantId).executeTakeFirst();
  return result.numDeletedRows > 0n;
}

/**
 * Locks the queue row for the rest of the transaction: every rotation step of this queue happens under it, so
 * two routing instances (or two partitions of one) never read the same scores and never double-assign.
 */
export async function lockQueue(trx: Db, id: string): Promise<StoredQueue | undefined> {
  const row = await trx.selectFrom('queues').selectAll().select(MEMBER_IDS).where('id', '=', id).forUpdate().executeTakeFirst();
  return row && toQueue(row);
}

/**
 * lockQueue for several queues in ONE statement. Rows are locked in id order (ORDER BY applies before the
 * lock), so two instances locking overlapping sets of queues wait for each other instead of deadlocking.
 */
export async function lockQueues(trx: Db, ids: readonly string[]): Promise<StoredQueue[]> {
  if (ids.length === 0) return [];
  const rows = await trx.selectFrom('queues').selectAll().select(MEMBER_IDS).where('id', 'in', [...ids]).orderBy('id').forUpdate().execute();
  return rows.map(toQueue);
}

/** Writes the rotation scores one pick produced (one statement, whatever the queue size). */
export async function saveScores(trx: Db, queueId: string, scores: ReadonlyMap<string, number>): Promise<void> {
  if (scores.size === 0) return;
  const ids = [...scores.keys()];
  const values = ids.map((id) => scores.get(id) ?? 0);
  await sql`
    UPDATE queue_members qm SET score = v.score
    FROM unnest(${ids}::uuid[], ${values}::bigint[]) AS v(member_id, score)
    WHERE qm.queue_id = ${queueId} AND qm.member_id = v.member_id`.execute(trx);
}
