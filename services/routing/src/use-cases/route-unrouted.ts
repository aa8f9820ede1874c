import { sql, type Kysely } from 'kysely';
import { deleteUnrouted, lockStillUnrouted, unroutedPage } from '../db/unrouted.repository.js';
import type { Database } from '../db/schema.js';
import type { Timer } from '../domain/assignment.js';
import { chooseQueue } from '../domain/rules.js';
import { assignStagedLeads, stageLead } from './assign-leads.js';
import { lockPools, readContext, stateOf } from './locked-pools.js';

// A lead captured before its tenant could route it (no rule matched and there was no default queue) gets an
// 'unrouted' record. Once a rule or a default queue takes it, this routes it exactly as a fresh capture would:
// same queue choice, rotation, caps, trace and lead.assigned event.
//
// The sweep must never hold up the consumer. Each page is its own transaction; it reads candidates without
// locks, locks the queues they go to first (as the consumer does), then only the leads nobody else holds
// (SKIP LOCKED), and waits at most LOCK_TIMEOUT for any lock: should it meet the consumer in a lock cycle,
// the sweep gives up (and the next one retries) before Postgres looks for a deadlock victim.

const LOCK_TIMEOUT = '500ms';

type Deps = {
  clock: () => Date;
  topic: string;
  /** Starts the claim timers of a page, after its commit. */
  schedule: (timers: readonly Timer[]) => Promise<void>;
  /** Checked between pages: false stops the sweep (shutdown). */
  keepGoing?: () => boolean;
  pageSize?: number;
};

/** Routes every unrouted lead a rule or default queue now takes; resolves to how many were routed. */
export async function routeUnroutedLeads(db: Kysely<Database>, deps: Deps): Promise<number> {
  let routed = 0;
  let after: string | undefined;
  do {
    const page = await db.transaction().execute((trx) => routePage(trx, deps, after));
    // A lead whose queue went away in the meantime is unrouted again, without a timer.
    const timers = page.started.flatMap((timer) => (timer ? [timer] : []));
    routed += timers.length;
    await deps.schedule(timers);
    after = page.lastLeadId;
  } while (after !== undefined && (deps.keepGoing?.() ?? true));
  return routed;
}

/** Routes what a page holds; `lastLeadId` is where the next page starts (none after a short page). */
async function routePage(trx: Kysely<Database>, deps: Deps, after: string | undefined): Promise<{ started: Array<Timer | null>; lastLeadId?: string }> {
  const pageSize = deps.pageSize ?? 500;
  const candidates = await unroutedPage(trx, pageSize, after);
  const next = candidates.length === pageSize ? { lastLeadId: candidates.at(-1)!.leadId } : {};
  const state = stateOf(trx);
  // The tenants' tables are read once here and reused by the assignment below.
  const { tables } = await readContext(trx, state, candidates.map((lead) => ({ lead, tag: lead.leadId })));
  const routable = candidates.flatMap((lead) => {
    const table = tables.get(lead.tenantId);
    const choice = table && chooseQueue(table.rules, table.defaultQueueId, lead.facts);
    return choice ? [{ lead, queueId: choice.queueId }] : [];
  });
  if (routable.length === 0) return { started: [], ...next };
  await sql`SET LOCAL lock_timeout = ${sql.lit(LOCK_TIMEOUT)}`.execute(trx);
  await lockPools(trx, state, routable.map((r) => r.queueId));
  const mine = await lockStillUnrouted(trx, routable.map((r) => r.lead.leadId));
  const leads = routable.map((r) => r.lead).filter((lead) => mine.has(lead.leadId));
  await deleteUnrouted(trx, leads.map((lead) => lead.leadId));
  for (const lead of leads) stageLead(trx, lead, lead.leadId);
  const started = await assignStagedLeads(trx, deps);
  return { started: [...started.values()], ...next };
}
