import { sql, type Kysely, type Selectable } from 'kysely';
import type { Candidate } from '../domain/eligibility.js';
import type { Member, MemberRole } from '../domain/types.js';
import type { Database, MembersTable } from './schema.js';

type Db = Kysely<Database>;
type MemberRow = Omit<Selectable<MembersTable>, 'day_of'> & { day_of: string | null };

/** A member as stored, plus its audit timestamps. */
export type StoredMember = Member & { createdAt: Date; updatedAt: Date };

// day_of as text: pg would turn a date into a Date at the server's local midnight, which is not a calendar day.
const DAY_OF = sql<string | null>`to_char(day_of, 'YYYY-MM-DD')`.as('day_of');
const COLUMNS = [
  'id', 'tenant_id', 'name', 'role', 'time_zone', 'working_hours', 'out_of_office', 'weight', 'max_open',
  'max_per_day', 'active', 'open_count', 'day_count', 'created_at', 'updated_at',
] as const;

function toMember(row: MemberRow): StoredMember {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    name: row.name,
    role: row.role as MemberRole,
    timeZone: row.time_zone,
    workingHours: row.working_hours,
    outOfOffice: row.out_of_office,
    weight: row.weight,
    maxOpen: row.max_open,
    maxPerDay: row.max_per_day,
    active: row.active,
    openCount: row.open_count,
    dayCount: row.day_count,
    dayOf: row.day_of,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** What an admin sets on a member (counters are routing's own). */
export type MemberInput = Pick<Member, 'name' | 'role' | 'timeZone' | 'workingHours' | 'outOfOffice' | 'weight' | 'maxOpen' | 'maxPerDay' | 'active'>;

function toRow(input: Partial<MemberInput>) {
  return {
    name: input.name,
    role: input.role,
    time_zone: input.timeZone,
    // SQL NULL, not a JSON null, for "always available".
    working_hours: input.workingHours === undefined ? undefined : input.workingHours === null ? null : JSON.stringify(input.workingHours),
    out_of_office: input.outOfOffice === undefined ? undefined : JSON.stringify(input.outOfOffice),
    weight: input.weight,
    max_open: input.maxOpen,
    max_per_day: input.maxPerDay,
    active: input.active,
  };
}

/** Stores a new member. */
export async function insertMember(db: Db, tenantId: string, id: string, input: MemberInput): Promise<StoredMember> {
  const values = toRow(input);
  const row = await db
    .insertInto('members')
    // Required columns restated: toRow's fields are optional because PATCH uses it too.
    .values({ ...values, id, tenant_id: tenantId, name: input.name, role: input.role, time_zone: input.timeZone, working_hours: values.working_hours ?? null, max_open: input.maxOpen, max_per_day: input.maxPerDay })
    .returning([...COLUMNS, DAY_OF])
    .executeTakeFirstOrThrow();
  return toMember(row);
}

/** Applies the given fields; undefined when the tenant has no such member. */
export async function updateMember(db: Db, tenantId: string, id: string, patch: Partial<MemberInput>): Promise<StoredMember | undefined> {
  const row = await db
    .updateTable('members')
    .set({ ...toRow(patch), updated_at: sql`now()` })
    .where('id', '=', id)
    .where('tenant_id', '=', tenantId)
    .returning([...COLUMNS, DAY_OF])
    .executeTakeFirst();
  return row && toMember(row);
}

/** One member of the tenant. */
export async function findMember(db: Db, tenantId: string, id: string): Promise<StoredMember | undefined> {
  const row = await db.selectFrom('members').select([...COLUMNS, DAY_OF]).where('id', '=', id).where('tenant_id', '=', tenantId).executeTakeFirst();
  return row && toMember(row);
}

/** The tenant's members, oldest first. */
export async function listMembers(db: Db, tenantId: string): Promise<StoredMember[]> {
  const rows = await db.selectFrom('members').select([...COLUMNS, DAY_OF]).where('tenant_id', '=', tenantId).orderBy('created_at').orderBy('id').execute();
  return rows.map(toMember);
}

/** Which of `ids` are the tenant's members (another tenant's id is as unknown as a made-up one). */
export async function existingMemberIds(db: Db, tenantId: string, ids: readonly string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rows = await db.selectFrom('members').select('id').where('tenant_id', '=', tenantId).where('id', 'in', ids).execute();
  return new Set(rows.map((row) => row.id));
}

/** Whether a queue still uses the member (in its rotation or as its fallback). */
export async function memberInUse(db: Db, id: string): Promise<boolean> {
  const row = await db
    .selectFrom('queues')
    .select('id')
    .where((eb) => eb.or([eb('fallback_member_id', '=', id), eb.exists(eb.selectFrom('queue_members').select('queue_id').where('member_id', '=', id))]))
    .executeTakeFirst();
  return row !== undefined;
}

/** Deletes a member; false when the tenant has no such member. */
export async function deleteMember(db: Db, tenantId: string, id: string): Promise<boolean> {
  const result = await db.deleteFrom('members').where('id', '=', id).where('tenant_id', '=', tenantId).executeTakeFirst();
  return result.numDeletedRows > 0n;
}

/**
 * The queue's members with their rotation scores, row-locked in id order. The lock makes the caps' counters
 * authoritative: another queue sharing a member waits instead of reading a stale count.
 */
export async function lockCandidates(trx: Db, queueId: string): Promise<Candidate[]> {
  return (await lockQueueCandidates(trx, [queueId])).map(({ queueId: _queueId, ...candidate }) => candidate);
}

/**
 * The members of several queues with their rotation scores, row-locked in id order in ONE statement (a chunk
 * of leads locks every queue it needs at once; see lockQueues). A member of two queues comes once per queue.
 */
export async function lockQueueCandidates(trx: Db, queueIds: readonly string[]): Promise<Array<Candidate & { queueId: string }>> {
  if (queueIds.length === 0) return [];
  const rows = await trx
    .selectFrom('queue_members as qm')
    .innerJoin('members as m', 'm.id', 'qm.member_id')
    .select([...COLUMNS.map((column) => `m.${column}` as const), sql<string | null>`to_char(m.day_of, 'YYYY-MM-DD')`.as('day_of'), 'qm.score', 'qm.queue_id'])
    .where('qm.queue_id', 'in', [...queueIds])
    .orderBy('m.id')
    .forUpdate('m')
    .execute();
  return rows.map((row) => ({ ...toMember(row), score: Number(row.score), queueId: row.queue_id }));
}

/** Locks and reads members by id (fallbacks and escalation targets outside the rotation). */
export async function lockMembers(trx: Db, ids: readonly string[]): Promise<StoredMember[]> {
  if (ids.length === 0) return [];
  const rows = await trx.selectFrom('members').select([...COLUMNS, DAY_OF]).where('id', 'in', ids).orderBy('id').forUpdate().execute();
  return rows.map(toMember);
}

/** The tenant's active members of a role, for escalations to a role. */
export async function membersWithRole(db: Db, tenantId: string, role: MemberRole): Promise<StoredMember[]> {
  const rows = await db.selectFrom('members').select([...COLUMNS, DAY_OF]).where('tenant_id', '=', tenantId).where('role', '=', role).where('active', '=', true).orderBy('id').execute();
  return rows.map(toMember);
}

/** Counts a lead given to the member: one more open lead, and one more today (restarting on a new local day). */
export async function countAssignment(trx: Db, memberId: string, today: string): Promise<void> {
  await sql`
    UPDATE members SET open_count = open_count + 1,
      day_count = CASE WHEN day_of = ${today}::date THEN day_count + 1 ELSE 1 END, day_of = ${today}::date
    WHERE id = ${memberId}`.execute(trx);
}

/** One lead fewer open for the member (claimed, released, reassigned away, closed). */
export async function releaseOpen(trx: Db, memberId: string): Promise<void> {
  await sql`UPDATE members SET open_count = greatest(open_count - 1, 0) WHERE id = ${memberId}`.execute(trx);
}
