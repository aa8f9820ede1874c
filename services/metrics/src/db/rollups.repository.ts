import { sql, type Kysely } from 'kysely';
import { COUNTER_NAMES, type Counters } from '../domain/counters.js';
import type { RollupDelta } from '../domain/rollup-delta.js';
import type { WindowPlan } from '../domain/window.js';
import { COUNTER_COLUMNS, COUNTER_INCREMENTS } from './counter-sql.js';

/** Adds a batch's merged changes to the rollup rows (sorted by key, so concurrent writers lock in one order). */
export async function applyRollupDeltas(db: Kysely<any>, deltas: readonly RollupDelta[]): Promise<void> {
  if (deltas.length === 0) return;
  const rows = deltas.map(({ counters, ...key }) => ({ ...key, ...counters }));
  await sql`
    INSERT INTO rollups (tenant_id, dim, level, bucket, value, ${sql.raw(COUNTER_COLUMNS)})
    SELECT tenant_id, dim, level, bucket, value, ${sql.raw(COUNTER_COLUMNS)}
    FROM jsonb_populate_recordset(NULL::rollups, ${JSON.stringify(rows)}::jsonb)
    ON CONFLICT (tenant_id, dim, level, bucket, value) DO UPDATE SET ${sql.raw(COUNTER_INCREMENTS)}`.execute(db);
}

/** One group's summed counters; `value` is '' for the whole cohort or a lead without that dimension. */
export type GroupCounters = { value: string; counters: Counters };

function toGroups(rows: Array<Record<string, unknown>>): GroupCounters[] {
  return rows.map((row) => {
    const counters: Counters = {};
    for (const name of COUNTER_NAMES) {
      const n = Number(row[name] ?? 0);
      if (n !== 0) counters[name] = n;
    }
    return { value: String(row['value'] ?? ''), counters };
  });
}

/**
 * A tenant's rollup counters summed over signed whole buckets, per value of `dim`. Through rollup_sums, whose long
 * statement Postgres keeps parsed per session: the text sent per query stays short.
 */
export async function sumRollups(db: Kysely<any>, query: { tenantId: string; dim: string; buckets: WindowPlan['buckets'] }): Promise<GroupCounters[]> {
  if (query.buckets.length === 0) return [];
  const { rows } = await sql<Record<string, unknown>>`
    SELECT * FROM rollup_sums(${query.tenantId}, ${query.dim}, ${query.buckets.map((b) => b.level)}::text[],
                              ${query.buckets.map((b) => b.start)}::timestamptz[], ${query.buckets.map((b) => b.sign)}::integer[])`.execute(db);
  return toGroups(rows);
}
