import { BIN_COUNT, DURATION_NAMES } from './durations.js';
import type { JourneyRow } from './journey-row.js';
import { STAGE_COLUMN, STAGES } from './stages.js';

// What a lead adds to its cohort's counters, as one spec: the rollups are sums of countersOf over journey rows,
// and a funnel window's sub-hour edges are counted with the same function over the journeys they hold, so the
// two paths cannot disagree about what a lead counts as. The spec also names the rollup columns.

// Counters read the flat columns only, never the fold state.
type CountedRow = Omit<JourneyRow, 'state'>;
type Column = keyof CountedRow;

/** How one counter is computed from a journey row. */
export type CounterSpec =
  | { name: string; kind: 'present'; column: Column }
  | { name: string; kind: 'both'; columns: readonly [Column, Column] }
  | { name: string; kind: 'sum'; column: Column }
  | { name: string; kind: 'flag'; column: Column }
  | { name: string; kind: 'equals'; column: Column; value: string | number };

const reached: CounterSpec[] = STAGES.map((stage) => ({ name: `reached_${stage}`, kind: 'present', column: STAGE_COLUMN[stage] }));

// Leads that reached a stage AND the one before it: conversion from the previous stage is kept / reached(prev).
const kept: CounterSpec[] = STAGES.slice(1).map((stage, i) => ({
  name: `kept_${stage}`,
  kind: 'both',
  columns: [STAGE_COLUMN[STAGES[i]!], STAGE_COLUMN[stage]],
}));

const appointmentColumns = ['appointments', 'appointments_held', 'appointments_no_show', 'appointments_cancelled', 'appointments_open', 'appointments_rescheduled', 'reschedules'] as const;
const appointments: CounterSpec[] = appointmentColumns.map((column) => ({ name: column, kind: 'sum', column }));

const outcomes: CounterSpec[] = [
  { name: 'won', kind: 'equals', column: 'outcome', value: 'won' },
  { name: 'lost', kind: 'equals', column: 'outcome', value: 'lost' },
  { name: 'nurture', kind: 'equals', column: 'outcome', value: 'nurture' },
  { name: 'disqualified', kind: 'present', column: 'disqualified_at' },
];

const checks: CounterSpec[] = (['complete', 'claim_in_sla', 'touch_in_sla', 'loop_closed'] as const).map((column) => ({ name: column, kind: 'flag', column }));

const histograms: CounterSpec[] = DURATION_NAMES.flatMap((duration) =>
  Array.from({ length: BIN_COUNT }, (_, bin): CounterSpec => ({ name: `d_${duration}_${bin}`, kind: 'equals', column: `bin_${duration}`, value: bin })),
);

/** Every rollup counter, in column order. */
export const COUNTERS: readonly CounterSpec[] = [...reached, ...kept, ...appointments, ...outcomes, ...checks, ...histograms];

/** Counter names, in column order. */
export const COUNTER_NAMES: readonly string[] = COUNTERS.map((c) => c.name);

/** Counter values by name; absent means zero. */
export type Counters = Record<string, number>;

function valueOf(spec: Exclude<CounterSpec, { kind: 'equals' }>, row: CountedRow): number {
  switch (spec.kind) {
    case 'present':
      return row[spec.column] === null ? 0 : 1;
    case 'both':
      return row[spec.columns[0]] === null || row[spec.columns[1]] === null ? 0 : 1;
    case 'sum':
      return Number(row[spec.column]);
    case 'flag':
      return row[spec.column] === true ? 1 : 0;
  }
}

// The projector evaluates this for every journey it touches, twice: 'equals' counters (the 152 histogram bins,
// the outcomes) are looked up by value per column instead of compared one by one.
const GENERIC = COUNTERS.filter((spec): spec is Exclude<CounterSpec, { kind: 'equals' }> => spec.kind !== 'equals');
const BY_VALUE = new Map<Column, Map<unknown, string>>();
for (const spec of COUNTERS) {
  if (spec.kind !== 'equals') continue;
  const names = BY_VALUE.get(spec.column) ?? new Map<unknown, string>();
  BY_VALUE.set(spec.column, names.set(spec.value, spec.name));
}

/** What one lead adds to its cohort's counters (non-zero entries only); nothing before it is captured. */
export function countersOf(row: CountedRow): Counters {
  const out: Counters = {};
  if (row.captured_at === null) return out;
  for (const spec of GENERIC) {
    const value = valueOf(spec, row);
    if (value !== 0) out[spec.name] = value;
  }
  for (const [column, names] of BY_VALUE) {
    const name = names.get(row[column]);
    if (name !== undefined) out[name] = 1;
  }
  return out;
}

/** Adds `b` times `sign` into `a` (mutates and returns `a`). */
export function addCounters(a: Counters, b: Counters, sign = 1): Counters {
  for (const [name, value] of Object.entries(b)) a[name] = (a[name] ?? 0) + sign * value;
  return a;
}
