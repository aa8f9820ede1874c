import { DateTime } from 'luxon';

// A cohort window is [from, to) on the UTC time line. Dates given as YYYY-MM-DD mean local midnight in `tz`,
// so "March in Chicago" and "March in Kathmandu" (UTC+5:45) are different instants. Rollups are bucketed by
// UTC hour, day and month, and rollups are sums, so a window is answered as a signed sum of buckets: March in
// Chicago is the UTC month of March, plus five hours of February 28, minus five hours of March 31 (ten
// rows instead of thirty days and ten hours). Whatever is left at the edges (less than an hour, only for zones
// off the hour such as Kathmandu, or date-times off the hour) is counted straight from the journeys table.
// Any zone, any offset, exact to the millisecond.

/** A half-open UTC interval. */
export type Interval = { from: Date; to: Date };

/** Rollup bucket sizes, smallest first. */
export type Level = 'hour' | 'day' | 'month';

/** One rollup bucket of a plan, added (1) or subtracted (-1). */
export type PlannedBucket = { level: Level; start: string; sign: 1 | -1 };

/** How one window is answered: signed rollup buckets (by start instant) and raw sub-hour edges. */
export type WindowPlan = { buckets: PlannedBucket[]; edges: Interval[] };

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;

/** Parses a window bound: a date (local midnight in tz) or an ISO date-time with an offset; null if invalid. */
export function parseBound(value: string, tz: string): Date | null {
  const parsed = DATE_ONLY.test(value)
    ? DateTime.fromISO(value, { zone: tz }).startOf('day')
    : /(Z|[+-]\d{2}:?\d{2})$/i.test(value)
      ? DateTime.fromISO(value, { setZone: true })
      : DateTime.invalid('no offset');
  return parsed.isValid ? parsed.toJSDate() : null;
}

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
const floorTo = (d: Date, ms: number) => new Date(Math.floor(d.getTime() / ms) * ms);
const ceilTo = (d: Date, ms: number) => new Date(Math.ceil(d.getTime() / ms) * ms);
const monthFloor = (d: Date) => new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1));
const monthCeil = (d: Date) => (monthFloor(d).getTime() === d.getTime() ? d : new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1)));
const nextMonth = (d: Date) => new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1));

/** The start instant of the rollup bucket of each level that holds `at` (ISO), as keysOf and plans name them. */
export function bucketOf(level: Level, at: Date): string {
  if (level === 'hour') return floorTo(at, HOUR_MS).toISOString();
  if (level === 'day') return floorTo(at, DAY_MS).toISOString();
  return monthFloor(at).toISOString();
}

function steps(level: Level, from: Date, to: Date, sign: 1 | -1): PlannedBucket[] {
  const out: PlannedBucket[] = [];
  for (let at = from; at < to; at = level === 'month' ? nextMonth(at) : new Date(at.getTime() + (level === 'hour' ? HOUR_MS : DAY_MS))) {
    out.push({ level, start: at.toISOString(), sign });
  }
  return out;
}

const FINER = { month: 'day', day: 'hour' } as const;
const align = (level: 'day' | 'month', at: Date): [Date, Date] =>
  level === 'month' ? [monthFloor(at), monthCeil(at)] : [floorTo(at, DAY_MS), ceilTo(at, DAY_MS)];

// [a, b) as whole buckets of `level` between `inner` bounds, the gaps to a and b added or subtracted in finer buckets.
function around(a: Date, b: Date, inner: [Date, Date], level: 'day' | 'month', sign: 1 | -1): PlannedBucket[] {
  const [start, end] = inner;
  const head = start > a ? cover(a, start, FINER[level], sign) : cover(start, a, FINER[level], -sign as 1 | -1);
  const tail = end < b ? cover(end, b, FINER[level], sign) : cover(b, end, FINER[level], -sign as 1 | -1);
  return [...head, ...steps(level, start, end, sign), ...tail];
}

/** Few signed buckets of `level` and finer that sum to exactly [a, b) (a and b on the hour); best of a handful of alignments. */
function cover(a: Date, b: Date, level: Level, sign: 1 | -1): PlannedBucket[] {
  if (a >= b) return [];
  if (level === 'hour') return steps('hour', a, b, sign);
  // Over two buckets or more this level is the better start; below that, finer buckets alone may be fewer.
  const short = b.getTime() - a.getTime() < 2 * (level === 'month' ? 28 * DAY_MS : DAY_MS);
  let best = short ? cover(a, b, FINER[level], sign) : around(a, b, [align(level, a)[1], align(level, b)[0]], level, sign);
  const [aDown, aUp] = align(level, a);
  const [bDown, bUp] = align(level, b);
  for (const start of [aUp, aDown]) {
    for (const end of [bDown, bUp]) {
      if (start >= end) continue;
      const candidate = around(a, b, [start, end], level, sign);
      if (candidate.length < best.length) best = candidate;
    }
  }
  return best;
}

/** Splits [from, to) into few signed UTC month, day and hour buckets, plus the sub-hour edges left over. */
export function planWindow({ from, to }: Interval): WindowPlan {
  const first = ceilTo(from, HOUR_MS);
  const last = floorTo(to, HOUR_MS);
  if (first >= last) return { buckets: [], edges: from < to ? [{ from, to }] : [] };
  const edges = ([[from, first], [last, to]] as Array<[Date, Date]>).filter(([a, b]) => a < b).map(([a, b]) => ({ from: a, to: b }));
  return { buckets: cover(first, last, 'month', 1), edges };
}
