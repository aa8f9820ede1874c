import type { Kysely } from 'kysely';
import { findCaptured, type CountedRow } from '../db/journeys.repository.js';
import { sumRollups, type GroupCounters } from '../db/rollups.repository.js';
import { addCounters, countersOf } from '../domain/counters.js';
import { funnelReport, type FunnelReport } from '../domain/funnel.js';
import { scorecardReport, type ScorecardReport } from '../domain/scorecard.js';
import { GROUP_BY_COLUMN, type GroupBy } from '../domain/stages.js';
import { planWindow, type Interval } from '../domain/window.js';

// The read side of the funnel and the scorecard: sum counters for a cohort window, then present them.
// Routes, the verification and the bench all call these, so what is checked and measured is what is served.

/** One group of a funnel; `key` is null for the whole cohort, or for leads without that dimension. */
export type FunnelGroup = { key: string | null } & FunnelReport;

/** The cohort: a tenant's leads captured in [from, to). */
export type Cohort = { tenantId: string; window: Interval };

// Biggest cohorts first, then by key, so the order is stable.
const byCohortSize = (a: GroupCounters, b: GroupCounters) =>
  (b.counters['reached_captured'] ?? 0) - (a.counters['reached_captured'] ?? 0) || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0);

// Whole buckets from the rollups, plus each lead of the sub-hour edges counted with the same countersOf.
function merge(rollups: GroupCounters[], edges: CountedRow[], groupBy: GroupBy | null): GroupCounters[] {
  const groups = new Map(rollups.map((g) => [g.value, g]));
  for (const row of edges) {
    const value = groupBy === null ? '' : (row[GROUP_BY_COLUMN[groupBy]] ?? '');
    const group = groups.get(value) ?? { value, counters: {} };
    addCounters(group.counters, countersOf(row));
    groups.set(value, group);
  }
  return [...groups.values()];
}

/** Summed counters per group (groups left empty after leads moved elsewhere are dropped). */
export async function cohortCounters(db: Kysely<any>, cohort: Cohort, groupBy: GroupBy | null): Promise<GroupCounters[]> {
  const plan = planWindow(cohort.window);
  const read = async (trx: Kysely<any>) =>
    merge(await sumRollups(trx, { tenantId: cohort.tenantId, dim: groupBy ?? 'all', buckets: plan.buckets }), await findCaptured(trx, cohort.tenantId, plan.edges), groupBy);
  // Two reads must see one snapshot, or a batch landing between them could count a lead twice or not at all.
  const groups = plan.edges.length === 0 || db.isTransaction ? await read(db) : await db.transaction().setIsolationLevel('repeatable read').execute(read);
  return groups.filter((g) => (g.counters['reached_captured'] ?? 0) > 0).sort(byCohortSize);
}

/** The funnel of a cohort, whole or grouped. An empty cohort has one group of zeros when not grouped. */
export async function getFunnel(db: Kysely<any>, cohort: Cohort, groupBy: GroupBy | null): Promise<FunnelGroup[]> {
  const groups = await cohortCounters(db, cohort, groupBy);
  if (groups.length === 0 && groupBy === null) return [{ key: null, ...funnelReport({}) }];
  return groups.map((g) => ({ key: g.value === '' ? null : g.value, ...funnelReport(g.counters) }));
}

/** The scorecard of a cohort: overall, and per entry path. */
export type Scorecard = { overall: ScorecardReport; entryPaths: Array<{ entryPath: string } & ScorecardReport> };

/** The five checks for a cohort, overall and per entry path (one snapshot: the paths add up to the whole). */
export async function getScorecard(db: Kysely<any>, cohort: Cohort): Promise<Scorecard> {
  const read = async (trx: Kysely<any>): Promise<Scorecard> => {
    const all = await cohortCounters(trx, cohort, null);
    const paths = await cohortCounters(trx, cohort, 'entry_path');
    return {
      overall: scorecardReport(all[0]?.counters ?? {}),
      entryPaths: paths.map((g) => ({ entryPath: g.value, ...scorecardReport(g.counters) })),
    };
  };
  return db.isTransaction ? read(db) : db.transaction().setIsolationLevel('repeatable read').execute(read);
}
