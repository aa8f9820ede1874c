import type { FieldError, HttpApp } from '@baton/kit';
import { getFunnel, getScorecard } from '../queries/reports.js';
import { parseBound, type Interval } from '../domain/window.js';
import { funnelQuerySchema, funnelResponseSchema, SCORECARD_RULES, scorecardQuerySchema, scorecardResponseSchema } from './report.schemas.js';
import { invalidFields, problems, tenantOf, type RouteDeps } from './support.js';

const MAX_WINDOW_MS = 3_653 * 86_400_000;

/** The cohort window of a query, or a 400 naming the bound that is wrong. */
function windowOf(query: { from: string; to: string; tz: string }): Interval {
  const from = parseBound(query.from, query.tz);
  const to = parseBound(query.to, query.tz);
  const bad: FieldError[] = [];
  if (from === null) bad.push({ field: 'query.from', message: 'is not a valid date or date-time' });
  if (to === null) bad.push({ field: 'query.to', message: 'is not a valid date or date-time' });
  if (from !== null && to !== null && from >= to) bad.push({ field: 'query.to', message: 'must be after from' });
  // A cohort is weeks to years; a century would only be a costly way to ask for everything.
  if (from !== null && to !== null && to.getTime() - from.getTime() > MAX_WINDOW_MS) bad.push({ field: 'query.to', message: 'must be at most 10 years after from' });
  if (bad.length > 0 || from === null || to === null) throw invalidFields(bad);
  return { from, to };
}

const cohortView = (window: Interval, tz: string) => ({ from: window.from.toISOString(), to: window.to.toISOString(), tz });

/** GET /v1/funnel and GET /v1/scorecard. */
export function registerFunnelRoutes(app: HttpApp, deps: RouteDeps): void {
  app.get('/v1/funnel', {
    config: { scope: 'funnel:read' },
    schema: {
      tags: ['funnel'],
      summary: 'Funnel of the leads captured in [from, to): stage counts, conversions, durations, appointment outcomes',
      querystring: funnelQuerySchema,
      response: { 200: funnelResponseSchema, ...problems(400, 401, 403, 429) },
    },
  }, async (request) => {
    const { tz, groupBy } = request.query;
    const window = windowOf(request.query);
    const groups = await getFunnel(deps.db, { tenantId: tenantOf(request), window }, groupBy ?? null);
    return { cohort: cohortView(window, tz), groupBy: groupBy ?? null, groups };
  });

  app.get('/v1/scorecard', {
    config: { scope: 'funnel:read' },
    schema: {
      tags: ['funnel'],
      summary: 'The five Handoff Integrity checks for the leads captured in [from, to), overall and per entry path',
      description: SCORECARD_RULES,
      querystring: scorecardQuerySchema,
      response: { 200: scorecardResponseSchema, ...problems(400, 401, 403, 429) },
    },
  }, async (request) => {
    const window = windowOf(request.query);
    const scorecard = await getScorecard(deps.db, { tenantId: tenantOf(request), window });
    return { cohort: cohortView(window, request.query.tz), ...scorecard };
  });
}
