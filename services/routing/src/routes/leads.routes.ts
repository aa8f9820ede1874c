import { withIdempotency, type HttpApp } from '@baton/kit';
import type { FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import { findAssignment } from '../db/assignment.repository.js';
import { leadHistory } from '../db/history.repository.js';
import type { Database } from '../db/schema.js';
import type { Timer } from '../domain/assignment.js';
import { claimLead, type ClaimCommand } from '../use-cases/claim-lead.js';
import { releaseLead } from '../use-cases/release-lead.js';
import { claimResultSchema, leadRoutingSchema, memberActionSchema, releaseResultSchema, routingView } from './leads.schemas.js';
import { idParamsSchema, idempotencyHeadersSchema, notFound, problems, sendStored, tenantOf, type RouteDeps } from './support.js';

const tags = ['leads'];

type OwnerAction<R> = (trx: Kysely<Database>, cmd: ClaimCommand) => Promise<{ result: R; timer: Timer | null }>;
type ActionRequest = FastifyRequest & { params: { id: string }; body: { memberId: string } };

// Runs a claim or release in the idempotent transaction, then schedules the SLA timer it set: after the commit,
// because a timer for a rolled-back change would only find itself stale, but need not exist at all.
async function ownerAction<R>(deps: RouteDeps, request: ActionRequest, use: OwnerAction<R>) {
  const cmd: ClaimCommand = { tenantId: tenantOf(request), leadId: request.params.id, memberId: request.body.memberId, now: deps.clock(), correlationId: request.correlationId, topic: deps.topic };
  let timer: Timer | null = null;
  const response = await withIdempotency(deps.db, request, async (trx) => {
    const outcome = await use(trx, cmd);
    timer = outcome.timer;
    return { status: 200, body: outcome.result };
  });
  const due: Timer | null = timer;
  if (due) await deps.schedule([due]).catch((err: unknown) => request.log.warn({ err }, 'scheduling an SLA timer failed; the sweep will re-add it'));
  return response;
}

// The acting member is named in the body: Baton's API keys belong to a tenant, not to a person, so the key
// proves the caller may act for the tenant and the body says as whom. The owner check (409 for anyone else)
// is what keeps a lead from being claimed twice.
/** Claim, release and the routing view of one lead. */
export function registerLeadRoutes(app: HttpApp, deps: RouteDeps): void {
  const act = { scope: 'routing:act' as const };

  app.post('/v1/leads/:id/claim', {
    config: act,
    schema: { tags, summary: 'The assigned member takes the lead (lead.claimed); anyone else gets a 409', headers: idempotencyHeadersSchema, params: idParamsSchema, body: memberActionSchema, response: { 200: claimResultSchema, ...problems(400, 401, 403, 404, 409, 422, 429) } },
  }, async (request, reply) => sendStored(reply, await ownerAction(deps, request, claimLead)));

  app.post('/v1/leads/:id/release', {
    config: act,
    schema: { tags, summary: 'The owner hands the lead back; the rotation picks someone else (lead.reassigned)', headers: idempotencyHeadersSchema, params: idParamsSchema, body: memberActionSchema, response: { 200: releaseResultSchema, ...problems(400, 401, 403, 404, 409, 422, 429) } },
  }, async (request, reply) => sendStored(reply, await ownerAction(deps, request, releaseLead)));

  app.get('/v1/leads/:id/routing', {
    config: act,
    schema: { tags, summary: 'Owner, state, deadlines and the full routing and escalation history of a lead', params: idParamsSchema, response: { 200: leadRoutingSchema, ...problems(400, 401, 403, 404, 429) } },
  }, async (request) => {
    const assignment = await findAssignment(deps.db, request.params.id, tenantOf(request));
    if (!assignment) throw notFound('Lead');
    return routingView(assignment, await leadHistory(deps.db, assignment.leadId));
  });
}
