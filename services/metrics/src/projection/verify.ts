import { isDeepStrictEqual } from 'node:util';
import { sql, type Kysely } from 'kysely';
import type { GroupCounters } from '../db/rollups.repository.js';
import { funnelReport } from '../domain/funnel.js';
import { scorecardReport } from '../domain/scorecard.js';
import { GROUP_BYS, type GroupBy } from '../domain/stages.js';
import type { Interval } from '../domain/window.js';
import { cohortCounters } from '../queries/reports.js';
import { drainIntake } from './projector.js';
import { buildRecount, recountCounters } from './recount.js';

// verify: the served funnel (rollups + journeys, through the same code the API uses) against a recount from
// the audit log, per tenant, for every grouping, over two windows: the tenant's whole history on UTC day
// bounds (month and day rollups) and an off-grid middle third (hour rollups and sub-hour journeys too).
// Both sides are read in one REPEATABLE READ snapshot, so they stand on the same events even while the
// consumer and the projector keep running.

/** One group whose served and recounted reports differ. */
export type Mismatch = { tenantId: string; window: Interval; groupBy: GroupBy | null; key: string; served: unknown; recount: unknown };

/** What verify found. */
export type VerifyResult = { ok: boolean; tenants: number; comparisons: number; mismatches: Mismatch[] };

const DAY_MS = 86_400_000;

function windowsOf(first: Date, last: Date): Interval[] {
  const whole = { from: new Date(Math.floor(first.getTime() / DAY_MS) * DAY_MS), to: new Date((Math.floor(last.getTime() / DAY_MS) + 1) * DAY_MS) };
  const third = Math.floor((last.getTime() - first.getTime()) / 3);
  const middle = { from: new Date(first.getTime() + third + 1), to: new Date(last.getTime() - third + 1) };
  return middle.from < middle.to ? [whole, middle] : [whole];
}

// Funnel and scorecard reports keyed by group: what a caller of the API would see.
function reports(groups: GroupCounters[]): Record<string, unknown> {
  const live = groups.filter((g) => (g.counters['reached_captured'] ?? 0) > 0);
  return Object.fromEntries(live.map((g) => [g.value, { funnel: funnelReport(g.counters), scorecard: scorecardReport(g.counters) }]));
}

async function verifyTenant(trx: Kysely<any>, tenantId: string, mismatches: Mismatch[]): Promise<number> {
  await buildRecount(trx, tenantId);
  const { rows } = await sql<{ first: Date | null; last: Date | null }>`
    SELECT min(captured_at) AS first, max(captured_at) AS last FROM recount_leads`.execute(trx);
  const { first, last } = rows[0] ?? { first: null, last: null };
  if (first === null || last === null) return 0;
  let comparisons = 0;
  for (const window of windowsOf(first, last)) {
    for (const groupBy of [null, ...GROUP_BYS]) {
      const served = reports(await cohortCounters(trx, { tenantId, window }, groupBy));
      const recount = reports(await recountCounters(trx, window, groupBy));
      for (const key of new Set([...Object.keys(served), ...Object.keys(recount)])) {
        comparisons += 1;
        if (!isDeepStrictEqual(served[key], recount[key])) mismatches.push({ tenantId, window, groupBy, key, served: served[key], recount: recount[key] });
      }
    }
  }
  return comparisons;
}

/** Recounts every tenant's (or one tenant's) funnel and scorecard from the audit log and compares with the served ones. */
export async function verifyProjections(db: Kysely<any>, opts: { tenantId?: string } = {}): Promise<VerifyResult> {
  await drainIntake(db);
  return db.transaction().setIsolationLevel('repeatable read').execute(async (trx) => {
    const tenants = opts.tenantId !== undefined
      ? [opts.tenantId]
      : (await sql<{ tenant_id: string }>`SELECT DISTINCT tenant_id FROM audit_log ORDER BY 1`.execute(trx)).rows.map((r) => r.tenant_id);
    const mismatches: Mismatch[] = [];
    let comparisons = 0;
    for (const tenantId of tenants) comparisons += await verifyTenant(trx, tenantId, mismatches);
    return { ok: mismatches.length === 0, tenants: tenants.length, comparisons, mismatches };
  });
}
