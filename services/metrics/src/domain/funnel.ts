import type { Counters } from './counters.js';
import { BIN_COUNT, DURATION_NAMES, quantileOf, type DurationName } from './durations.js';
import { STAGES, type Stage } from './stages.js';

// Turns summed counters into the funnel a person reads. Pure, and shared by the served funnel and the
// verification recount, so the two can only differ in their counts, which is the thing being checked.

/** One stage of a funnel. */
export type StageReport = {
  stage: Stage;
  count: number;
  /** Leads that reached this stage and the previous one, over those that reached the previous one. */
  conversionFromPrevious: number | null;
  /** Leads that reached this stage over the cohort (every cohort lead was captured). */
  conversionFromCapture: number | null;
};

/** A duration's percentiles, as the ladder bound they fall under (null: none measured, or beyond a year). */
export type DurationReport = { count: number; p50Seconds: number | null; p90Seconds: number | null };

// API names of the durations (camelCase like the rest of the API; the rollup columns stay snake_case).
const DURATION_LABEL = {
  capture_claim: 'captureToClaim',
  claim_touch: 'claimToFirstTouch',
  capture_booked: 'captureToBooked',
  booked_held: 'bookedToHeld',
} as const satisfies Record<DurationName, string>;

/** One reported duration's API name. */
export type DurationLabel = (typeof DURATION_LABEL)[DurationName];

/** One group's funnel. */
export type FunnelReport = {
  stages: StageReport[];
  durations: Record<DurationLabel, DurationReport>;
  /** Appointments of the cohort's leads; cancelled, rescheduled and no-show slots are counted apart from held. */
  appointments: { total: number; held: number; noShow: number; cancelled: number; open: number; rescheduled: number; reschedules: number };
  outcomes: { won: number; lost: number; nurture: number; disqualified: number };
};

const n = (counters: Counters, name: string): number => counters[name] ?? 0;

/** A ratio rounded to 4 decimals; null when there is nothing to divide by. */
export const ratio = (part: number, whole: number): number | null => (whole === 0 ? null : Math.round((part / whole) * 10_000) / 10_000);

function stageReports(counters: Counters): StageReport[] {
  const cohort = n(counters, 'reached_captured');
  return STAGES.map((stage, i) => {
    const previous = STAGES[i - 1];
    const count = n(counters, `reached_${stage}`);
    return {
      stage,
      count,
      conversionFromPrevious: previous === undefined ? null : ratio(n(counters, `kept_${stage}`), n(counters, `reached_${previous}`)),
      conversionFromCapture: ratio(count, cohort),
    };
  });
}

// Counter names of each duration's bins, built once: funnels with many groups read them for every group.
const BIN_NAMES = Object.fromEntries(DURATION_NAMES.map((d) => [d, Array.from({ length: BIN_COUNT }, (_, bin) => `d_${d}_${bin}`)])) as Record<DurationName, string[]>;

function durationReport(counters: Counters, duration: DurationName): DurationReport {
  const bins = BIN_NAMES[duration].map((name) => n(counters, name));
  return { count: bins.reduce((a, b) => a + b, 0), p50Seconds: quantileOf(bins, 0.5), p90Seconds: quantileOf(bins, 0.9) };
}

/** The funnel of one group from its summed counters. */
export function funnelReport(counters: Counters): FunnelReport {
  return {
    stages: stageReports(counters),
    durations: Object.fromEntries(DURATION_NAMES.map((d) => [DURATION_LABEL[d], durationReport(counters, d)])) as Record<DurationLabel, DurationReport>,
    appointments: {
      total: n(counters, 'appointments'),
      held: n(counters, 'appointments_held'),
      noShow: n(counters, 'appointments_no_show'),
      cancelled: n(counters, 'appointments_cancelled'),
      open: n(counters, 'appointments_open'),
      rescheduled: n(counters, 'appointments_rescheduled'),
      reschedules: n(counters, 'reschedules'),
    },
    outcomes: { won: n(counters, 'won'), lost: n(counters, 'lost'), nurture: n(counters, 'nurture'), disqualified: n(counters, 'disqualified') },
  };
}
