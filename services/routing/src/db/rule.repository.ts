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

/** What assignment needs to pick a queue: a tenant's active rules in order and its default queue. */
export type RoutingTable = { rules: Rule[]; defaultQueueId: string | null };

type TableRow = { tenant_id: string; rules: Array<Selectable<RulesTable>> | null; default_queue_id: string | null };

/**
 * What assigning a batch of leads reads before it locks anything, in ONE round trip: the routing table of
 * each tenant in `tenantIds`, and which of `leadIds` already have an assignment (they keep it).
 */
export async function routingContext(db: Db, tenantIds: readonly string[], leadIds: readonly string[]): Promise<{ tables: Map<string, RoutingTable>; assigned: Set<string> }> {
  const { rows } = await sql<{ tables: TableRow[] | null; assigned: string[] | null }>`
    SELECT (SELECT json_agg(json_build_object(
              'tenant_id', t.id,
              'rules', (SELECT json_agg(r ORDER BY r.position, r.created_at, r.id) FROM rules r WHERE r.tenant_id = t.id AND r.active),
              'default_queue_id', (SELECT id FROM queues WHERE tenant_id = t.id AND is_default)))
            FROM unnest(${[...tenantIds]}::uuid[]) AS t(id)) AS tables,
           (SELECT array_agg(lead_id::text) FROM assignments WHERE lead_id = ANY(${[...leadIds]}::uuid[])) AS assigned`.execute(db);
  const tables = new Map<string, RoutingTable>();
  for (const row of rows[0]?.tables ?? []) {
    const rules = (row.rules ?? []).map((rule) => toRule({ ...rule, created_at: new Date(rule.created_at), updated_at: new Date(rule.updated_at) }));
    tables.set(row.tenant_id, { rules, defaultQueueId: row.default_queue_id });
  }
  return { tables, assigned: new Set(rows[0]?.assigned ?? []) };
}
