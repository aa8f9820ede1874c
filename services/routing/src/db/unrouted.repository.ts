import { sql, type Kysely } from 'kysely';
import type { LeadToRoute } from '../domain/types.js';
import type { Database } from './schema.js';

type Db = Kysely<Database>;

/** Keeps the rule facts of leads that got an 'unrouted' assignment, so they can be routed later. */
export async function recordUnrouted(trx: Db, leads: readonly LeadToRoute[]): Promise<void> {
  if (leads.length === 0) return;
  await trx
    .insertInto('unrouted_leads')
    .values(leads.map((lead) => ({ lead_id: lead.leadId, tenant_id: lead.tenantId, captured_event_id: lead.causationId, facts: JSON.stringify(lead.facts) })))
    .onConflict((oc) => oc.column('lead_id').doNothing())
    .execute();
}

/**
 * A page of unrouted leads, in lead id order after `afterLeadId`, of tenants that now have an active rule or a
 * default queue: the only ones a routing change can have helped. Read without locks: most may still have no
 * queue, and lockStillUnrouted locks only those that do. (The id, not the capture time, pages: a timestamp
 * read back into JavaScript loses its microseconds and would not step past its own row.)
 */
export async function unroutedPage(db: Db, limit: number, afterLeadId?: string): Promise<LeadToRoute[]> {
  const { rows } = await sql<{ lead_id: string; tenant_id: string; correlation_id: string; captured_event_id: string; facts: LeadToRoute['facts'] }>`
    SELECT u.lead_id, u.tenant_id, a.correlation_id, u.captured_event_id, u.facts
    FROM unrouted_leads u JOIN assignments a ON a.lead_id = u.lead_id AND a.state = 'unrouted'
    WHERE (EXISTS (SELECT 1 FROM queues q WHERE q.tenant_id = u.tenant_id AND q.is_default)
           OR EXISTS (SELECT 1 FROM rules r WHERE r.tenant_id = u.tenant_id AND r.active))
      ${afterLeadId === undefined ? sql`` : sql`AND u.lead_id > ${afterLeadId}::uuid`}
    ORDER BY u.lead_id
    LIMIT ${limit}`.execute(db);
  return rows.map((row) => ({ leadId: row.lead_id, tenantId: row.tenant_id, correlationId: row.correlation_id, causationId: row.captured_event_id, facts: row.facts }));
}

/**
 * Locks the assignments of those leads that are still unrouted, skipping any another transaction holds (a
 * consumer recording a contact, another instance's sweep): the sweep never waits on a lead.
 */
export async function lockStillUnrouted(trx: Db, leadIds: readonly string[]): Promise<Set<string>> {
  if (leadIds.length === 0) return new Set();
  const rows = await trx
    .selectFrom('assignments')
    .select('lead_id')
    .where('lead_id', 'in', leadIds)
    .where('state', '=', 'unrouted')
    .forUpdate()
    .skipLocked()
    .execute();
  return new Set(rows.map((row) => row.lead_id));
}

/** Drops the kept facts of a lead that will not be routed any more (contacted or closed while unrouted). */
export async function forgetUnrouted(trx: Db, leadId: string): Promise<void> {
  await trx.deleteFrom('unrouted_leads').where('lead_id', '=', leadId).execute();
}

/** Removes the 'unrouted' assignments of leads about to be routed (their facts go with them). */
export async function deleteUnrouted(trx: Db, leadIds: readonly string[]): Promise<void> {
  if (leadIds.length === 0) return;
  await trx.deleteFrom('assignments').where('lead_id', 'in', leadIds).where('state', '=', 'unrouted').execute();
}
