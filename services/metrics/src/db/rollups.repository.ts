import { sql, type Kysely } from 'kysely';
import { COUNTER_NAMES, type Counters } from '../domain/counters.js';
import type { RollupDelta } from '../domain/rollup-delta.js';
import type { WindowPlan } from '../domain/window.js';
import { counterColumns, counterDefinitions, counterIncrements } from './counter-sql.js';

// One delta as a JSON object with its non-zero counters only (an absent counter is NULL in the recordset, which
// the upsert leaves untouched), written out directly: a few thousand rows per batch, on the projector's hot path.
function deltaJson(delta: RollupDelta): string {
  let json = `{"tenant_id":${JSON.stringify(delta.tenant_id)},"dim":${JSON.stringify(delta.dim)},"level":${JSON.stringify(delta.level)},"bucket":${JSON.stringify(delta.bucket)},"value":${JSON.stringify(delta.value)}`;
  delta.counts.forEach((n, i) => {
    if (n !== 0) json += `,"${COUNTER_NAMES[i]}":${n}`;
  });
  return `${json}}`;
}

// The counters some delta of the batch moves (typically 60-90 of the 184: a batch's leads reach a few stages and
// fall in a few histogram bins).
function movedCounters(deltas: readonly RollupDelta[]): string[] {
  const moved = new Uint8Array(COUNTER_NAMES.length);
  for (const { counts } of deltas) counts.forEach((n, i) => {
    if (n !== 0) moved[i] = 1;
  });
  return COUNTER_NAMES.filter((_, i) => moved[i] === 1);
}

/**
 * Adds a batch's merged changes to the rollup rows (sorted by key, so concurrent writers lock in one order). The
 * statement names only the counters the batch moves: reading each row out of the JSON and computing its new
 * values costs per column, and the columns it leaves out keep their values (NULL in a new row, as before).
 */
export async function applyRollupDeltas(db: Kysely<any>, deltas: readonly RollupDelta[]): Promise<void> {
  if (deltas.length === 0) return;
  const moved = movedCounters(deltas);
  if (moved.length === 0) return;
  await sql`
    INSERT INTO rollups (tenant_id, dim, level, bucket, value, ${sql.raw(counterColumns(moved))})
    SELECT tenant_id, dim, level, bucket, value, ${sql.raw(counterColumns(moved))}
    FROM jsonb_to_recordset(${`[${deltas.map(deltaJson).join(',')}]`}::jsonb)
      AS d(tenant_id text, dim text, level text, bucket timestamptz, value text, ${sql.raw(counterDefinitions(moved))})
    ON CONFLICT (tenant_id, dim, level, bucket, value) DO UPDATE SET ${sql.raw(counterIncrements(moved))}`.execute(db);
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
