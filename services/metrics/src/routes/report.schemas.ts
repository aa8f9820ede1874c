import { timeZoneSchema } from '@baton/contracts';
import { z } from 'zod';
import { LADDER_SECONDS } from '../domain/durations.js';
import { CHECKS } from '../domain/scorecard.js';
import { GROUP_BYS, STAGES } from '../domain/stages.js';

const BOUND = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2}))?$/i;
const bound = (description: string) =>
  z.string().regex(BOUND, 'must be YYYY-MM-DD or an ISO 8601 date-time with an offset').meta({ description, examples: ['2025-03-01', '2025-03-01T00:00:00-06:00'] });

/** from / to / tz, shared by the funnel and the scorecard. */
export const windowQuery = {
  from: bound('Cohort start, inclusive: leads captured at or after it. A date means local midnight in tz.'),
  to: bound('Cohort end, exclusive. A date means local midnight in tz.'),
  tz: timeZoneSchema.default('UTC').meta({ description: 'IANA zone in which dates are read (default UTC)' }),
};

/** GET /v1/funnel query. */
export const funnelQuerySchema = z.strictObject({
  ...windowQuery,
  groupBy: z.enum(GROUP_BYS).optional().meta({ description: 'Split the cohort by this dimension (its current value per lead)' }),
});

/** GET /v1/scorecard query. */
export const scorecardQuerySchema = z.strictObject(windowQuery);

const ratio = z.number().nullable().meta({ description: 'Rounded to 4 decimals; null when the denominator is 0' });
const seconds = z.int().nullable().meta({
  description: `Upper bound (seconds) of the histogram bin the percentile falls in; bins: ${LADDER_SECONDS.join(', ')} s; null when nothing was measured or beyond the last bound`,
});
const duration = z.object({ count: z.int(), p50Seconds: seconds, p90Seconds: seconds });

const cohortSchema = z.object({ from: z.iso.datetime(), to: z.iso.datetime(), tz: z.string() }).meta({ description: 'The cohort window as UTC instants' });

const funnelGroupSchema = z.object({
  key: z.string().nullable().meta({ description: 'Value of the groupBy dimension; null for the whole cohort or leads without one' }),
  stages: z.array(z.object({ stage: z.enum(STAGES), count: z.int(), conversionFromPrevious: ratio, conversionFromCapture: ratio })),
  durations: z.object({ captureToClaim: duration, claimToFirstTouch: duration, captureToBooked: duration, bookedToHeld: duration }),
  appointments: z
    .object({ total: z.int(), held: z.int(), noShow: z.int(), cancelled: z.int(), open: z.int(), rescheduled: z.int(), reschedules: z.int() })
    .meta({ description: 'Appointments of the cohort by final status; cancelled, no-show and rescheduled slots are never counted as held' }),
  outcomes: z.object({ won: z.int(), lost: z.int(), nurture: z.int(), disqualified: z.int() }),
});

/** GET /v1/funnel response. */
export const funnelResponseSchema = z.object({ cohort: cohortSchema, groupBy: z.enum(GROUP_BYS).nullable(), groups: z.array(funnelGroupSchema) });

const checkSchema = z.object({ check: z.enum(CHECKS), passed: z.int(), total: z.int(), rate: ratio, score: z.int().min(1).max(5).nullable() });
const scoreSchema = z.object({ leads: z.int(), score: z.int().min(1).max(5).nullable(), checks: z.array(checkSchema) });

/** GET /v1/scorecard response. */
export const scorecardResponseSchema = z.object({
  cohort: cohortSchema,
  overall: scoreSchema,
  entryPaths: z.array(scoreSchema.extend({ entryPath: z.string() })),
});

/** Description of the scorecard rules for the OpenAPI page. */
export const SCORECARD_RULES = [
  'Checks, each a rate over the leads it applies to:',
  'capture_completeness = completeness score >= 80 / captured;',
  'ownership_in_sla = claimed at or before the claim deadline of the first assignment / captured;',
  'first_touch_in_sla = first attempt or contact at or before the first-touch deadline set at claim / claimed;',
  'booking_confirmed = confirmed / booked;',
  'loop_closed = won, lost, nurture, disqualified, or an appointment held or no-show / captured.',
  'Check score from its rate: >= 95% 5, >= 85% 4, >= 70% 3, >= 50% 2, else 1.',
  'Entry path score: mean of its check scores, rounded half up.',
].join(' ');
