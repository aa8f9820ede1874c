import { errors, withIdempotency, type HttpApp } from '@baton/kit';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { deleteMember, findMember, insertMember, listMembers, memberInUse, updateMember, type MemberInput } from '../db/member.repository.js';
import { memberCreateSchema, memberPatchSchema, memberView, memberViewSchema } from './members.schemas.js';
import { idParamsSchema, idempotencyHeadersSchema, notFound, problems, sendStored, tenantOf, type RouteDeps } from './support.js';

type Patch = z.infer<typeof memberPatchSchema>;

// Flattens the API's `caps` and leaves absent fields undefined (PATCH) so the repository keeps them.
function toInput(body: Patch): Partial<MemberInput> {
  const { caps, ...rest } = body;
  return { ...rest, ...(caps?.maxOpen !== undefined ? { maxOpen: caps.maxOpen } : {}), ...(caps?.maxPerDay !== undefined ? { maxPerDay: caps.maxPerDay } : {}) };
}

function withDefaults(body: z.infer<typeof memberCreateSchema>): MemberInput {
  const input = toInput(body);
  return {
    name: body.name,
    role: body.role,
    timeZone: body.timeZone,
    workingHours: input.workingHours ?? null,
    outOfOffice: input.outOfOffice ?? [],
    weight: input.weight ?? 1,
    maxOpen: input.maxOpen ?? null,
    maxPerDay: input.maxPerDay ?? null,
    active: input.active ?? true,
  };
}

const tags = ['members'];
const admin = { scope: 'routing:admin' as const };

function createRoute(app: HttpApp, deps: RouteDeps): void {
  app.post('/v1/members', {
    config: admin,
    schema: { tags, summary: 'Add a member', headers: idempotencyHeadersSchema, body: memberCreateSchema, response: { 201: memberViewSchema, ...problems(400, 401, 403, 422, 429) } },
  }, async (request, reply) => {
    const tenantId = tenantOf(request);
    const response = await withIdempotency(deps.db, request, async (trx) => ({ status: 201, body: memberView(await insertMember(trx, tenantId, randomUUID(), withDefaults(request.body))) }));
    return sendStored(reply, response);
  });
}

function readRoutes(app: HttpApp, deps: RouteDeps): void {
  app.get('/v1/members', { config: admin, schema: { tags, summary: 'List members', response: { 200: memberViewSchema.array(), ...problems(401, 403, 429) } } }, async (request) =>
    (await listMembers(deps.db, tenantOf(request))).map(memberView),
  );

  app.get('/v1/members/:id', { config: admin, schema: { tags, summary: 'One member', params: idParamsSchema, response: { 200: memberViewSchema, ...problems(400, 401, 403, 404, 429) } } }, async (request) => {
    const member = await findMember(deps.db, tenantOf(request), request.params.id);
    if (!member) throw notFound('Member');
    return memberView(member);
  });
}

function changeRoutes(app: HttpApp, deps: RouteDeps): void {
  app.patch('/v1/members/:id', {
    config: admin,
    schema: { tags, summary: 'Change a member (absent fields are kept)', params: idParamsSchema, body: memberPatchSchema, response: { 200: memberViewSchema, ...problems(400, 401, 403, 404, 429) } },
  }, async (request) => {
    const member = await updateMember(deps.db, tenantOf(request), request.params.id, toInput(request.body));
    if (!member) throw notFound('Member');
    return memberView(member);
  });

  app.delete('/v1/members/:id', {
    config: admin,
    schema: { tags, summary: 'Remove a member who is in no queue (deactivate instead to keep history readable)', params: idParamsSchema, response: { 204: z.null().describe('Deleted'), ...problems(400, 401, 403, 404, 409, 429) } },
  }, async (request, reply) => {
    const tenantId = tenantOf(request);
    if (!(await findMember(deps.db, tenantId, request.params.id))) throw notFound('Member');
    if (await memberInUse(deps.db, request.params.id)) throw errors.conflict('member_in_use', 'The member is in a queue or is a queue\'s fallback; remove it there first');
    await deleteMember(deps.db, tenantId, request.params.id);
    return reply.code(204).send(null);
  });
}

/** CRUD of the people leads are routed to (scope routing:admin). */
export function registerMemberRoutes(app: HttpApp, deps: RouteDeps): void {
  createRoute(app, deps);
  readRoutes(app, deps);
  changeRoutes(app, deps);
}
