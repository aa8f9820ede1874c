import { sql, type Kysely, type Selectable } from 'kysely';
import type { Rule } from '../domain/types.js';
import type { Database, RulesTable } from './schema.js';

type Db = Kysely<Database>;

/** A rule as stored, plus its audit timestamps. */
export type StoredRule = Rule & { createdAt: Date; updatedAt: Date };

/** What an admin sets on a rule. */
export type RuleInput = Omit<Rule, 'id'>;

function toRule(row: Selectable<RulesTable>): StoredRule {
  return {
    id: row.id,
    name: row.name,
    position: row.position,
    queueId: row.queue_id,
    match: row.match,
    active: row.active,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function toRow(input: Partial<RuleInput>) {
  return {
    name: input.name,
    position: input.position,
    queue_id: input.queueId,
    match: input.match === undefined ? undefined : JSON.stringify(input.match),
    active: input.active,
  };
}

/** The position after the tenant's last rule: a rule created without one goes to the end. */
export async function nextRulePosition(db: Db, tenantId: string): Promise<number> {
  const row = await db.selectFrom('rules').select(sql<number>`coalesce(max(position), 0) + 10`.as('next')).where('tenant_id', '=', tenantId).executeTakeFirstOrThrow();
  return Number(row.next);
}

/** Stores a new rule. */
export async function insertRule(db: Db, tenantId: string, id: string, input: RuleInput): Promise<StoredRule> {
  const row = await db
    .insertInto('rules')
    .values({ ...toRow(input), id, tenant_id: tenantId, name: input.name, position: input.position, queue_id: input.queueId, match: JSON.stringify(input.match) })
    .returningAll()
    .executeTakeFirstOrThrow();
  return toRule(row);
}

/** Applies the given fields; undefined when the tenant has no such rule. */
export async function updateRule(db: Db, tenantId: string, id: string, patch: Partial<RuleInput>): Promise<StoredRule | undefined> {
  const row = await db.updateTable('rules').set({ ...toRow(patch), updated_at: sql`now()` }).where('id', '=', id).where('tenant_id', '=', tenantId).returningAll().executeTakeFirst();
  return row && toRule(row);
}

/** One rule of the tenant. */
export async function findRule(db: Db, tenantId: string, id: string): Promise<StoredRule | undefined> {
  const row = await db.selectFrom('rules').selectAll().where('id', '=', id).where('tenant_id', '=', tenantId).executeTakeFirst();
  return row && toRule(row);
}

/** The tenant's rules in evaluation order (position, then age). */
export async function listRules(db: Db, tenantId: string): Promise<StoredRule[]> {
  const rows = await db.selectFrom('rules').selectAll().where('tenant_id', '=', tenantId).orderBy('position').orderBy('created_at').orderBy('id').execute();
  return rows.map(toRule);
}

/** Deletes a rule; false when the tenant has no such rule. */
export async function deleteRule(db: Db, tenantId: string, id: string): Promise<boolean> {
  const result = await db.deleteFrom('rules').where('id', '=', id).where('tenant_id', '=', tenantId).executeTakeFirst();
  return result.numDeletedRows > 0n;
}

/** What assignment needs to pick a queue: the active rules in order and the default queue, in one round trip. */
export async function routingTable(db: Db, tenantId: string): Promise<{ rules: Rule[]; defaultQueueId: string | null }> {
  const { rows } = await sql<{ rules: Array<Selectable<RulesTable>> | null; default_queue_id: string | null }>`
    SELECT (SELECT json_agg(r ORDER BY r.position, r.created_at, r.id) FROM rules r WHERE r.tenant_id = ${tenantId} AND r.active) AS rules,
           (SELECT id FROM queues WHERE tenant_id = ${tenantId} AND is_default) AS default_queue_id`.execute(db);
  const row = rows[0];
  const rules = (row?.rules ?? []).map((rule) => toRule({ ...rule, created_at: new Date(rule.created_at), updated_at: new Date(rule.updated_at) }));
  return { rules, defaultQueueId: row?.default_queue_id ?? null };
}
