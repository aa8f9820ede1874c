import { EventTooLargeError } from '@baton/kafka';
import { annotateRequestLog, errors, idempotencyClaimOf, validationFieldErrors, type HttpApp } from '@baton/kit';
import { z } from 'zod';
import { findLead, listLeads, type LeadPosition } from '../db/lead.repository.js';
import type { Lead } from '../domain/lead.js';
import { normaliseLead, rawPhoneErrors } from '../domain/normalise.js';
import { captureLeadAlone, type CaptureResult } from '../use-cases/capture-lead.js';
import { captureResultSchema, leadIdParamsSchema, leadInputSchema, leadViewSchema } from './lead.schemas.js';
import { callerOf, idempotencyHeadersSchema, problems, sendStored, type RouteDeps } from './support.js';
import { guardBody, invalidFields, leadTooLarge } from './validation.js';

/** The answer to one capture, as POST /v1/leads and each batch item report it. */
export function captureAnswer(result: CaptureResult): z.infer<typeof captureResultSchema> {
  const { lead, outcome } = result;
  const joined = outcome === 'merged' ? { joinedLeadId: lead.id } : {};
  return { leadId: lead.id, status: outcome, ...joined, completeness: lead.completeness };
}

/** A stored lead as the API shows it. */
export function leadView(lead: Lead): z.infer<typeof leadViewSchema> {
  const { tenantId: _tenant, createdAt, updatedAt, ...rest } = lead;
  return { ...rest, createdAt: createdAt.toISOString(), updatedAt: updatedAt.toISOString() };
}

// Opaque to clients, but only base64url of the last position: nothing secret, and tampering only moves the page.
const cursorSchema = z.tuple([z.iso.datetime(), z.uuid()]);

function encodeCursor(position: LeadPosition): string {
  return Buffer.from(JSON.stringify([position.updatedAt.toISOString(), position.id])).toString('base64url');
}

function decodeCursor(cursor: string): LeadPosition {
  try {
    const [updatedAt, id] = cursorSchema.parse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
    return { updatedAt: new Date(updatedAt), id };
  } catch {
    throw invalidFields([{ field: 'query.cursor', message: 'is not a cursor this API issued' }]);
  }
}

const listQuerySchema = z.strictObject({
  updatedSince: z.iso.datetime({ offset: true }).optional().meta({ description: 'First page: leads updated at or after this instant' }),
  cursor: z.string().max(200).optional().meta({ description: 'nextCursor of the previous page; takes precedence over updatedSince' }),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

const listResponseSchema = z.object({
  leads: z.array(leadViewSchema),
  nextCursor: z.string().nullable().meta({ description: 'Resume here (also when polling for later changes); null before the first lead' }),
  hasMore: z.boolean(),
});

function registerCapture(app: HttpApp, deps: RouteDeps): void {
  app.post('/v1/leads', {
    config: { scope: 'leads:write' },
    preValidation: guardBody,
    // Schema errors reach the handler, which adds the phone check (it needs the tenant) to the same 400.
    attachValidation: true,
    schema: {
      tags: ['leads'],
      summary: 'Capture one lead (a duplicate of a recent lead is merged into it)',
      headers: idempotencyHeadersSchema,
      body: leadInputSchema,
      response: { 201: captureResultSchema.describe('Created'), 200: captureResultSchema.describe('Merged into an existing lead'), ...problems(400, 401, 403, 413, 422, 429) },
    },
  }, async (request, reply) => {
    const { tenant } = await callerOf(request, deps.identity);
    if (request.validationError) {
      throw invalidFields([...validationFieldErrors(request.validationError), ...rawPhoneErrors(request.body, tenant.defaultRegion)]);
    }
    const normalised = normaliseLead(request.body, tenant.defaultRegion);
    if (!normalised.ok) throw invalidFields(normalised.errors);
    const ctx = { tenant, correlationId: request.correlationId, now: deps.clock(), topic: deps.topic };
    const answer = (result: CaptureResult) => ({ status: result.outcome === 'created' ? 201 : 200, body: captureAnswer(result) });
    const tooLarge = (error: unknown): never => {
      throw error instanceof EventTooLargeError ? leadTooLarge(error) : error;
    };
    const claim = idempotencyClaimOf(request);
    const response = await captureLeadAlone(deps, normalised.lead, ctx, { claim, answer }).catch(tooLarge);
    const { leadId, status } = response.body as z.infer<typeof captureResultSchema>;
    annotateRequestLog(request, { leadId, outcome: status, replayed: response.replayed });
    return sendStored(reply, response);
  });
}

function registerGetLead(app: HttpApp, deps: RouteDeps): void {
  app.get('/v1/leads/:id', {
    config: { scope: 'leads:read' },
    schema: { tags: ['leads'], summary: 'One lead', params: leadIdParamsSchema, response: { 200: leadViewSchema, ...problems(400, 401, 403, 404, 429) } },
  }, async (request) => {
    const { principal } = await callerOf(request, deps.identity);
    const lead = await findLead(deps.db, principal.tenantId, request.params.id);
    if (!lead) throw errors.notFound('Lead');
    return leadView(lead);
  });
}

function registerListLeads(app: HttpApp, deps: RouteDeps): void {
  app.get('/v1/leads', {
    config: { scope: 'leads:read' },
    schema: {
      tags: ['leads'],
      summary: 'Leads in order of last change, page by page',
      querystring: listQuerySchema,
      response: { 200: listResponseSchema, ...problems(400, 401, 403, 429) },
    },
  }, async (request) => {
    const { principal } = await callerOf(request, deps.identity);
    const { cursor, limit } = request.query;
    const after = cursor === undefined ? undefined : decodeCursor(cursor);
    const updatedSince = request.query.updatedSince === undefined ? undefined : new Date(request.query.updatedSince);
    // One extra row tells whether another page exists without a count query.
    const rows = await listLeads(deps.db, { tenantId: principal.tenantId, after, updatedSince, limit: limit + 1 });
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    const nextCursor = last ? encodeCursor(last) : (cursor ?? null);
    return { leads: page.map(leadView), nextCursor, hasMore: rows.length > limit };
  });
}

/** POST /v1/leads, GET /v1/leads/{id}, GET /v1/leads. */
export function registerLeadRoutes(app: HttpApp, deps: RouteDeps): void {
  registerCapture(app, deps);
  registerGetLead(app, deps);
  registerListLeads(app, deps);
}
