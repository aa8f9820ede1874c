import type { Counters } from './counters.js';
import { ratio } from './funnel.js';

// The five Handoff Integrity checks. Each is a rate over the leads the check applies to, i.e. those that
// reached the stage it audits; a check with nobody to audit has no rate and no score.
//   capture_completeness  captured leads whose capture completeness score >= 80           / captured
//   ownership_in_sla      claimed at or before the claim deadline of the first assignment / captured
//                         (never assigned or never claimed fails: every lead needs an owner)
//   first_touch_in_sla    first attempt or contact at or before the claim's first-touch deadline / claimed
//                         (a claim without a deadline fails: an untimed step is what Baton exists to remove)
//   booking_confirmed     booked leads with a confirmation from the buyer                 / booked
//   loop_closed           leads whose end is recorded (won/lost/nurture, disqualified, or an appointment
//                         held or no-show)                                                / captured
// Score of a check, from its rate: >= 95% -> 5, >= 85% -> 4, >= 70% -> 3, >= 50% -> 2, else 1.
// Score of an entry path: the mean of its checks' scores, rounded half up (checks without a rate left out).

/** Names of the five checks, in stage order. */
export const CHECKS = ['capture_completeness', 'ownership_in_sla', 'first_touch_in_sla', 'booking_confirmed', 'loop_closed'] as const;

/** One check's result. */
export type CheckReport = { check: (typeof CHECKS)[number]; passed: number; total: number; rate: number | null; score: number | null };

/** The scorecard of one entry path (or of all of them). */
export type ScorecardReport = { leads: number; score: number | null; checks: CheckReport[] };

const SCORE_FLOORS: ReadonlyArray<[number, number]> = [[0.95, 5], [0.85, 4], [0.7, 3], [0.5, 2]];

/** The 1-5 score of a rate (null rate: null score). */
export function scoreOf(rate: number | null): number | null {
  if (rate === null) return null;
  return SCORE_FLOORS.find(([floor]) => rate >= floor)?.[1] ?? 1;
}

const PARTS: Record<(typeof CHECKS)[number], [string, string]> = {
  capture_completeness: ['complete', 'reached_captured'],
  ownership_in_sla: ['claim_in_sla', 'reached_captured'],
  first_touch_in_sla: ['touch_in_sla', 'reached_claimed'],
  booking_confirmed: ['kept_confirmed', 'reached_booked'],
  loop_closed: ['loop_closed', 'reached_captured'],
};

/** The scorecard of one group from its summed counters. */
export function scorecardReport(counters: Counters): ScorecardReport {
  const checks = CHECKS.map((check): CheckReport => {
    const [pass, base] = PARTS[check];
    const passed = counters[pass] ?? 0;
    const total = counters[base] ?? 0;
    const rate = ratio(passed, total);
    return { check, passed, total, rate, score: scoreOf(rate) };
  });
  const scores = checks.flatMap((c) => (c.score === null ? [] : [c.score]));
  const score = scores.length === 0 ? null : Math.floor(scores.reduce((a, b) => a + b, 0) / scores.length + 0.5);
  return { leads: counters['reached_captured'] ?? 0, score, checks };
}
