import { COUNTER_NAMES, countersOf, type Counters } from './counters.js';
import type { JourneyRow } from './journey-row.js';
import { GROUP_BY_COLUMN, GROUP_BYS } from './stages.js';
import { bucketOf, type Level } from './window.js';

// Rollups are the sum of every captured lead's counters, bucketed by the UTC hour, day and month of capture
// and by each grouping dimension. A change of a journey is applied as "remove what the old row added, add what the
// new row adds": that one rule covers a stage reached, an owner changing (the lead moves between owner rows),
// and a late capture time moving the lead to another day.

/** Identity of one rollup row. `dim` is 'all' or a GroupBy; `value` is '' for "none". */
export type RollupKey = { tenant_id: string; dim: string; level: Level; bucket: string; value: string };

/** One rollup row's change: `counts[i]` is added to counter COUNTER_NAMES[i]. */
export type RollupDelta = RollupKey & { counts: Int32Array };

// A batch merges thousands of journey changes into a few thousand rows of 184 counters: dense vectors, indexed
// by counter, keep that merge to array adds (objects keyed by counter name made it the projector's main CPU
// and garbage cost).
const INDEX = new Map(COUNTER_NAMES.map((name, i) => [name, i]));

const LEVELS: readonly Level[] = ['hour', 'day', 'month'];

// Every rollup row a journey row counts in: each level's bucket of its capture time, times 'all' and each dimension.
function keysOf(row: JourneyRow): RollupKey[] {
  if (row.captured_at === null) return [];
  const at = new Date(row.captured_at);
  const dims: Array<[string, string]> = [['all', ''], ...GROUP_BYS.map((g): [string, string] => [g, row[GROUP_BY_COLUMN[g]] ?? ''])];
  return LEVELS.flatMap((level) => {
    const bucket = bucketOf(level, at);
    return dims.map(([dim, value]) => ({ tenant_id: row.tenant_id, dim, level, bucket, value }));
  });
}

// NUL cannot occur in stored text (the audit redaction replaces it), so it separates key parts safely.
const idOf = (key: RollupKey) => `${key.tenant_id}\u0000${key.dim}\u0000${key.level}\u0000${key.bucket}\u0000${key.value}`;

// The same rollup rows: same tenant, capture time and dimension values.
const sameRows = (a: JourneyRow, b: JourneyRow): boolean =>
  a.tenant_id === b.tenant_id && a.captured_at === b.captured_at && GROUP_BYS.every((g) => a[GROUP_BY_COLUMN[g]] === b[GROUP_BY_COLUMN[g]]);

function difference(after: Counters, before: Counters): Counters {
  const out: Counters = {};
  for (const name of new Set([...Object.keys(after), ...Object.keys(before)])) {
    const n = (after[name] ?? 0) - (before[name] ?? 0);
    if (n !== 0) out[name] = n;
  }
  return out;
}

/** Accumulates rollup changes of a batch, merged per row, so each rollup row is written once per batch. */
export class RollupDeltas {
  private readonly byKey = new Map<string, RollupDelta>();

  /** Records a journey's change from `before` (null: new lead) to `after`. */
  change(before: JourneyRow | null, after: JourneyRow): void {
    const newCounters = countersOf(after);
    // Usually the lead stays in the same rows (same capture time and dimensions): add only what changed there.
    if (before !== null && sameRows(before, after)) {
      this.apply(keysOf(after), difference(newCounters, countersOf(before)), 1);
      return;
    }
    if (before !== null) this.apply(keysOf(before), countersOf(before), -1);
    this.apply(keysOf(after), newCounters, 1);
  }

  private apply(keys: RollupKey[], counters: Counters, sign: 1 | -1): void {
    const entries: Array<[number, number]> = Object.entries(counters).map(([name, n]) => [INDEX.get(name)!, sign * n]);
    if (entries.length === 0) return;
    for (const key of keys) {
      const id = idOf(key);
      let delta = this.byKey.get(id);
      if (delta === undefined) this.byKey.set(id, (delta = { ...key, counts: new Int32Array(COUNTER_NAMES.length) }));
      for (const [i, n] of entries) delta.counts[i]! += n;
    }
  }

  /** Net changes, rows whose changes cancel out dropped, in key order (a stable lock order for the upsert). */
  rows(): RollupDelta[] {
    const ids = [...this.byKey.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    return ids.map((id) => this.byKey.get(id)!).filter((delta) => delta.counts.some((n) => n !== 0));
  }
}
