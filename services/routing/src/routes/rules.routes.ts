import { withIdempotency, type HttpApp } from '@baton/kit';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { deleteRule, findRule, insertRule, listRules, nextRulePosition, updateRule } from '../db/rule.repository.js';
import { checkRuleReferences } from './references.js';
import { ruleCreateSchema, rulePatchSchema, ruleView, ruleViewSchema } from './rules.schemas.js';
import { idParamsSchema, idempotencyHeadersSchema, notFound, problems, sendStored, tenantOf, type RouteDeps } from './support.js';

const tags = ['rules'];
const admin = { scope: 'routing:admin' as const };

function createRoute(app: HttpApp, deps: RouteDeps): void {
  app.post('/v1/rules', {
    config: admin,
    schema: { tags, summary: 'Add a rule', headers: idempotencyHeadersSchema, body: ruleCreateSchema, response: { 201: ruleViewSchema, ...problems(400, 401, 403, 422, 429) } },
  }, async (request, reply) => {
    const tenantId = tenantOf(request);
    const body = request.body;
    await checkRuleReferences(deps.db, tenantId, body.queueId);
    const response = await withIdempotency(deps.db, request, async (trx) => {
      const position = body.position ?? (await nextRulePosition(trx, tenantId));
      const rule = await insertRule(trx, tenantId, randomUUID(), { name: body.name, position, queueId: body.queueId, match: body.match, active: body.active ?? true });
      return { status: 201, body: ruleView(rule) };
    });
    return sendStored(reply, response);
  });
}

function readRoutes(app: HttpApp, deps: RouteDeps): void {
  app.get('/v1/rules', { config: admin, schema: { tags, summary: 'Rules in evaluation order', response: { 200: ruleViewSchema.array(), ...problems(401, 403, 429) } } }, async (request) =>
    (await listRules(deps.db, tenantOf(request))).map(ruleView),
  );

  app.get('/v1/rules/:id', { config: admin, schema: { tags, summary: 'One rule', params: idParamsSchema, response: { 200: ruleViewSchema, ...problems(400, 401, 403, 404, 429) } } }, async (request) => {
    const rule = await findRule(deps.db, tenantOf(request), request.params.id);
    if (!rule) throw notFound('Rule');
    return ruleView(rule);
  });
}

function changeRoutes(app: HttpApp, deps: RouteDeps): void {
  app.patch('/v1/rules/:id', {
    config: admin,
    schema: { tags, summary: 'Change a rule (absent fields are kept)', params: idParamsSchema, body: rulePatchSchema, response: { 200: ruleViewSchema, ...problems(400, 401, 403, 404, 429) } },
  }, async (request) => {
    const tenantId = tenantOf(request);
    if (!(await findRule(deps.db, tenantId, request.params.id))) throw notFound('Rule');
    await checkRuleReferences(deps.db, tenantId, request.body.queueId);
    const rule = await updateRule(deps.db, tenantId, request.params.id, request.body);
    if (!rule) throw notFound('Rule');
    return ruleView(rule);
  });

  app.delete('/v1/rules/:id', {
    config: admin,
    schema: { tags, summary: 'Delete a rule', params: idParamsSchema, response: { 204: z.null().describe('Deleted'), ...problems(400, 401, 403, 404, 429) } },
  }, async (request, reply) => {
    if (!(await deleteRule(deps.db, tenantOf(request), request.params.id))) throw notFound('Rule');
    return reply.code(204).send(null);
  });
}

/** CRUD of the ordered routing rules (scope routing:admin). */
export function registerRuleRoutes(app: HttpApp, deps: RouteDeps): void {
  createRoute(app, deps);
  readRoutes(app, deps);
  changeRoutes(app, deps);
}
