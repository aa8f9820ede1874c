import { errors, withIdempotency, type HttpApp } from '@baton/kit';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { backlog } from '../db/assignment.repository.js';
import { deleteQueue, findQueue, insertQueue, listQueues, queueInUse, updateQueue, type QueueInput } from '../db/queue.repository.js';
import type { Assignment } from '../domain/assignment.js';
import { backlogSchema, queueCreateSchema, queuePatchSchema, queueView, queueViewSchema } from './queues.schemas.js';
import { checkQueueReferences } from './references.js';
import { idParamsSchema, idempotencyHeadersSchema, iso, notFound, problems, sendStored, tenantOf, type RouteDeps } from './support.js';

function withDefaults(body: z.infer<typeof queueCreateSchema>): QueueInput {
  return {
    name: body.name,
    memberIds: body.memberIds,
    fallbackMemberId: body.fallbackMemberId,
    claimSlaSeconds: body.claimSlaSeconds ?? 300,
    firstTouchSlaSeconds: body.firstTouchSlaSeconds ?? null,
    businessHoursOnly: body.businessHoursOnly ?? false,
    ignoreWorkingHours: body.ignoreWorkingHours ?? false,
    isDefault: body.isDefault ?? false,
    escalation: body.escalation ?? { claim: [], firstTouch: [] },
  };
}

function backlogItem(a: Assignment, now: Date) {
  const deadline = a.state === 'assigned' ? a.claimDeadline : a.firstTouchDeadline;
  return {
    leadId: a.leadId,
    memberId: a.memberId,
    state: a.state as 'assigned' | 'claimed',
    ownerSince: iso(a.ownerSince),
    deadline: iso(deadline),
    overdue: deadline !== null && deadline.getTime() <= now.getTime(),
    overdueSince: iso(a.overdueSince),
    escalationLevel: a.sla.level,
  };
}

const tags = ['queues'];
const backlogQuerySchema = z.strictObject({ limit: z.coerce.number().int().min(1).max(500).default(100) });

const admin = { scope: 'routing:admin' as const };

function createRoute(app: HttpApp, deps: RouteDeps): void {
  app.post('/v1/queues', {
    config: admin,
    schema: { tags, summary: 'Create a queue', headers: idempotencyHeadersSchema, body: queueCreateSchema, response: { 201: queueViewSchema, ...problems(400, 401, 403, 422, 429) } },
  }, async (request, reply) => {
    const tenantId = tenantOf(request);
    await checkQueueReferences(deps.db, tenantId, request.body);
    const response = await withIdempotency(deps.db, request, async (trx) => ({ status: 201, body: queueView(await insertQueue(trx, tenantId, randomUUID(), withDefaults(request.body))) }));
    return sendStored(reply, response);
  });
}

function readRoutes(app: HttpApp, deps: RouteDeps): void {
  app.get('/v1/queues', { config: admin, schema: { tags, summary: 'List queues', response: { 200: queueViewSchema.array(), ...problems(401, 403, 429) } } }, async (request) =>
    (await listQueues(deps.db, tenantOf(request))).map(queueView),
  );

  app.get('/v1/queues/:id', { config: admin, schema: { tags, summary: 'One queue', params: idParamsSchema, response: { 200: queueViewSchema, ...problems(400, 401, 403, 404, 429) } } }, async (request) => {
    const queue = await findQueue(deps.db, tenantOf(request), request.params.id);
    if (!queue) throw notFound('Queue');
    return queueView(queue);
  });
}

function changeRoutes(app: HttpApp, deps: RouteDeps): void {
  app.patch('/v1/queues/:id', {
    config: admin,
    schema: { tags, summary: 'Change a queue (absent fields are kept; memberIds replaces the rotation, keeping scores of members who stay)', params: idParamsSchema, body: queuePatchSchema, response: { 200: queueViewSchema, ...problems(400, 401, 403, 404, 429) } },
  }, async (request) => {
    const tenantId = tenantOf(request);
    if (!(await findQueue(deps.db, tenantId, request.params.id))) throw notFound('Queue');
    await checkQueueReferences(deps.db, tenantId, request.body);
    const queue = await deps.db.transaction().execute((trx) => updateQueue(trx, tenantId, request.params.id, request.body));
    if (!queue) throw notFound('Queue');
    return queueView(queue);
  });

  app.delete('/v1/queues/:id', {
    config: admin,
    schema: { tags, summary: 'Delete a queue no rule routes to', params: idParamsSchema, response: { 204: z.null().describe('Deleted'), ...problems(400, 401, 403, 404, 409, 429) } },
  }, async (request, reply) => {
    const tenantId = tenantOf(request);
    if (!(await findQueue(deps.db, tenantId, request.params.id))) throw notFound('Queue');
    if (await queueInUse(deps.db, request.params.id)) throw errors.conflict('queue_in_use', 'A rule routes to this queue; change or delete the rule first');
    await deleteQueue(deps.db, tenantId, request.params.id);
    return reply.code(204).send(null);
  });
}

function backlogRoute(app: HttpApp, deps: RouteDeps): void {
  app.get('/v1/queues/:id/backlog', {
    config: { scope: 'routing:act' },
    schema: { tags, summary: 'Unclaimed leads, and claimed ones overdue for first touch, oldest first', params: idParamsSchema, querystring: backlogQuerySchema, response: { 200: backlogSchema, ...problems(400, 401, 403, 404, 429) } },
  }, async (request) => {
    const tenantId = tenantOf(request);
    if (!(await findQueue(deps.db, tenantId, request.params.id))) throw notFound('Queue');
    const now = deps.clock();
    const leads = await backlog(deps.db, tenantId, request.params.id, request.query.limit);
    return { queueId: request.params.id, asOf: now.toISOString(), leads: leads.map((a) => backlogItem(a, now)) };
  });
}

/** CRUD of queues (scope routing:admin) and their backlog (scope routing:act). */
export function registerQueueRoutes(app: HttpApp, deps: RouteDeps): void {
  createRoute(app, deps);
  readRoutes(app, deps);
  changeRoutes(app, deps);
  backlogRoute(app, deps);
}
