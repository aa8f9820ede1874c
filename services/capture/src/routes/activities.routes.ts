import { annotateRequestLog, requirePrincipal, withIdempotency, type HttpApp, type Principal } from '@baton/kit';
import type { z } from 'zod';
import type { Activity } from '../domain/activity.js';
import { recordActivity } from '../use-cases/record-activity.js';
import { activityInputSchema, activityResultSchema } from './activity.schemas.js';
import { leadIdParamsSchema } from './lead.schemas.js';
import { idempotencyHeadersSchema, problems, sendStored, type RouteDeps } from './support.js';
import { guardBody, invalidFields } from './validation.js';

// Clocks of dialers and CRMs drift; a few minutes ahead is skew, more is a wrong timestamp.
const MAX_CLOCK_SKEW_MS = 5 * 60_000;

type ActivityInput = z.infer<typeof activityInputSchema>;

/** The domain activity: occurredAt resolved against the clock, actor defaulted to the calling key. */
function toActivity(input: ActivityInput, principal: Principal, now: Date): Activity {
  const occurredAt = input.occurredAt === undefined ? now : new Date(input.occurredAt);
  if (occurredAt.getTime() > now.getTime() + MAX_CLOCK_SKEW_MS) {
    throw invalidFields([{ field: 'body.occurredAt', message: 'must not be in the future' }]);
  }
  const actor = input.actor ?? { type: 'integration' as const, id: `api-key:${principal.keyId}` };
  return { ...input, occurredAt, actor };
}

/** POST /v1/leads/{id}/activities. */
export function registerActivityRoutes(app: HttpApp, deps: RouteDeps): void {
  app.post('/v1/leads/:id/activities', {
    config: { scope: 'leads:write' },
    preValidation: guardBody,
    schema: {
      tags: ['activities'],
      summary: 'Record what happened to a lead (attempts, contact, qualification, outcome, notes)',
      description: 'Each type but note emits its lifecycle event. A closed lead takes notes only (409 otherwise).',
      headers: idempotencyHeadersSchema,
      params: leadIdParamsSchema,
      body: activityInputSchema,
      response: { 201: activityResultSchema, ...problems(400, 401, 403, 404, 409, 413, 422, 429) },
    },
  }, async (request, reply) => {
    const principal = requirePrincipal(request);
    const leadId = request.params.id;
    const now = deps.clock();
    const activity = toActivity(request.body, principal, now);
    const response = await withIdempotency(deps.db, request, async (trx) => {
      const result = await recordActivity(trx, leadId, activity, { tenantId: principal.tenantId, correlationId: request.correlationId, now, topic: deps.topic });
      return { status: 201, body: { ...result, leadId, type: activity.type } };
    });
    annotateRequestLog(request, { leadId, activity: activity.type, replayed: response.replayed });
    return sendStored(reply, response);
  });
}
