import type { Kysely } from 'kysely';
import { deleteUnrouted, lockUnroutedPage } from '../db/unrouted.repository.js';
import type { Database } from '../db/schema.js';
import type { Timer } from '../domain/assignment.js';
import { chooseQueue } from '../domain/rules.js';
import { assignStagedLeads, stageLead } from './assign-leads.js';
import { readContext, stateOf } from './locked-pools.js';

// A lead captured before its tenant could route it (no rule matched and there was no default queue) gets an
// 'unrouted' record. Once a rule or a default queue takes it, this routes it exactly as a fresh capture would:
// same queue choice, rotation, caps, trace and lead.assigned event. Each page is its own transaction and skips
// leads another instance is routing, so two instances may sweep at once.

type Deps = { clock: () => Date; topic: string; pageSize?: number };

/** Routes every unrouted lead a rule or default queue now takes; resolves to the claim timers to schedule. */
export async function routeUnroutedLeads(db: Kysely<Database>, deps: Deps): Promise<Timer[]> {
  const timers: Timer[] = [];
  let after: string | undefined;
  for (;;) {
    const page = await db.transaction().execute((trx) => routePage(trx, deps, after));
    timers.push(...page.timers);
    if (page.lastLeadId === undefined) return timers;
    after = page.lastLeadId;
  }
}

/** Routes what a page holds; `lastLeadId` is where the next page starts (none after a short page). */
async function routePage(trx: Kysely<Database>, deps: Deps, after: string | undefined): Promise<{ timers: Timer[]; lastLeadId?: string }> {
  const pageSize = deps.pageSize ?? 500;
  const leads = await lockUnroutedPage(trx, pageSize, after);
  const next = leads.length === pageSize ? { lastLeadId: leads.at(-1)!.leadId } : {};
  const state = stateOf(trx);
  // The tenants' tables are read once here and reused by the assignment below.
  const { tables } = await readContext(trx, state, leads.map((lead) => ({ lead, tag: lead.leadId })));
  const routable = leads.filter((lead) => {
    const table = tables.get(lead.tenantId);
    return table !== undefined && chooseQueue(table.rules, table.defaultQueueId, lead.facts) !== null;
  });
  if (routable.length === 0) return { timers: [], ...next };
  await deleteUnrouted(trx, routable.map((lead) => lead.leadId));
  for (const lead of routable) stageLead(trx, lead, lead.leadId);
  const started = await assignStagedLeads(trx, deps);
  return { timers: [...started.values()].filter((timer): timer is Timer => timer !== null), ...next };
}
