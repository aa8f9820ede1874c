// Stage durations are kept as histograms over a fixed ladder of human-sized bounds, not as raw values: a
// histogram adds up across days, groups and replicas, so a month of funnel is a sum of small rows instead of a
// sort of every lead in it. The price is resolution: a percentile is reported as the ladder bound it falls
// under ("90% were claimed within 15 minutes"). The ladder is frozen in migration 0001; changing it means a
// new migration and a rebuild.

/** Upper bounds (inclusive, in seconds) of the histogram bins; one more bin holds everything above. */
export const LADDER_SECONDS = [
  10, 30, 60, 120, 180, 240, 300, 420, 600, 900, 1200, 1800, 2700, 3600, 5400, 7200, 10800, 14400, 21600, 28800,
  43200, 86400, 129600, 172800, 259200, 345600, 432000, 604800, 864000, 1209600, 1814400, 2592000, 3888000,
  5184000, 7776000, 15552000, 31536000,
] as const;

/** Number of bins: one per bound plus the overflow bin. */
export const BIN_COUNT = LADDER_SECONDS.length + 1;

/** The four durations the funnel reports, and the stage times they run between. */
export const DURATIONS = {
  capture_claim: ['captured_at', 'claimed_at'],
  claim_touch: ['claimed_at', 'first_touch_at'],
  capture_booked: ['captured_at', 'booked_at'],
  booked_held: ['booked_at', 'held_at'],
} as const;

/** Name of one reported duration. */
export type DurationName = keyof typeof DURATIONS;

/** Duration names in report order. */
export const DURATION_NAMES = Object.keys(DURATIONS) as DurationName[];

/**
 * Bin of the duration between two instants; null when either is missing. A negative span (a touch recorded
 * before the claim, clocks apart) counts as zero: the step needed no waiting.
 */
export function binOf(from: string | null, to: string | null): number | null {
  if (from === null || to === null) return null;
  const seconds = Math.max(0, (Date.parse(to) - Date.parse(from)) / 1000);
  const index = LADDER_SECONDS.findIndex((bound) => seconds <= bound);
  return index === -1 ? LADDER_SECONDS.length : index;
}

/**
 * Nearest-rank q-quantile of a histogram, as the upper bound (seconds) of the bin it falls in; null for an
 * empty histogram or when it falls in the overflow bin (beyond the last bound).
 */
export function quantileOf(bins: readonly number[], q: number): number | null {
  const total = bins.reduce((sum, n) => sum + n, 0);
  if (total === 0) return null;
  const rank = Math.max(1, Math.ceil(q * total));
  let seen = 0;
  for (const [index, n] of bins.entries()) {
    seen += n;
    if (seen >= rank) return LADDER_SECONDS[index] ?? null;
  }
  return null;
}
