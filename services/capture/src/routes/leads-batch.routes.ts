import { EventTooLargeError } from '@baton/kafka';
import { annotateRequestLog, withIdempotency, type HttpApp, type Tenant } from '@baton/kit';
import type { Transaction } from 'kysely';
import { z } from 'zod';
import type { FieldError, LeadContent } from '../domain/lead.js';
import { normaliseLead, rawPhoneErrors } from '../domain/normalise.js';
import type { Database } from '../db/schema.js';
import { captureLead, lockContacts, type CaptureContext } from '../use-cases/capture-lead.js';
import { captureAnswer } from './leads.routes.js';
import { captureResultSchema, leadInputSchema } from './lead.schemas.js';
import { callerOf, idempotencyHeadersSchema, problems, sendStored, type RouteDeps } from './support.js';
import { fieldErrorsOf, guardBody, leadTooLarge } from './validation.js';

/** Most leads one batch may carry. */
export const MAX_BATCH = 500;

// Items are checked one by one in the handler, so one bad lead cannot sink the other 499; the schema only
// bounds the list, and documents each item as NewLead.
const batchBodySchema = z.strictObject({
  leads: z
    .array(z.unknown())
    .min(1)
    .max(MAX_BATCH)
    .meta({ items: { $ref: '#/components/schemas/NewLeadInput' }, description: `1 to ${MAX_BATCH} leads, each as the body of POST /v1/leads` }),
});

const itemResultSchema = z.union([
  captureResultSchema.extend({ index: z.int() }),
  z.object({ index: z.int(), status: z.literal('rejected'), errors: z.array(z.object({ field: z.string(), message: z.string() })) }),
]);

const batchResponseSchema = z.object({
  accepted: z.int().meta({ description: 'Items created or merged' }),
  rejected: z.int(),
  results: z.array(itemResultSchema).meta({ description: 'One result per item, in request order' }),
});

type Prepared = { index: number; ok: true; lead: LeadContent } | { index: number; ok: false; errors: FieldError[] };

/** Validates and normalises one item; errors name fields as `body.leads.<index>.<path>`. */
function prepare(item: unknown, index: number, tenant: Tenant): Prepared {
  const field = `body.leads.${index}`;
  const parsed = leadInputSchema.safeParse(item);
  if (!parsed.success) return { index, ok: false, errors: [...fieldErrorsOf(parsed.error, field), ...rawPhoneErrors(item, tenant.defaultRegion, field)] };
  const normalised = normaliseLead(parsed.data, tenant.defaultRegion, field);
  return normalised.ok ? { index, ok: true, lead: normalised.lead } : { index, ok: false, errors: normalised.errors };
}

type ItemResult = z.infer<typeof itemResultSchema>;

/** Captures one prepared item; an item too large to publish is rejected alone (it was refused before any write). */
async function captureItem(trx: Transaction<Database>, item: Prepared & { ok: true }, ctx: CaptureContext): Promise<ItemResult> {
  try {
    return { index: item.index, ...captureAnswer(await captureLead(trx, item.lead, ctx)) };
  } catch (error) {
    if (!(error instanceof EventTooLargeError)) throw error;
    return { index: item.index, status: 'rejected', errors: [{ field: `body.leads.${item.index}`, message: leadTooLarge(error).message }] };
  }
}

/** POST /v1/leads/batch: up to 500 leads, each accepted or rejected on its own. */
export function registerBatchRoutes(app: HttpApp, deps: RouteDeps & { bodyLimit: number }): void {
  app.post('/v1/leads/batch', {
    config: { scope: 'leads:write' },
    bodyLimit: deps.bodyLimit,
    preValidation: guardBody,
    schema: {
      tags: ['leads'],
      summary: `Capture up to ${MAX_BATCH} leads; each is accepted or rejected on its own`,
      headers: idempotencyHeadersSchema,
      body: batchBodySchema,
      response: { 200: batchResponseSchema, ...problems(400, 401, 403, 413, 422, 429) },
    },
  }, async (request, reply) => {
    const { tenant } = await callerOf(request, deps.identity);
    const items = request.body.leads.map((item, index) => prepare(item, index, tenant));
    const response = await withIdempotency(deps.db, request, async (trx) => {
      const ctx = { tenant, correlationId: request.correlationId, now: deps.clock(), topic: deps.topic };
      const results: ItemResult[] = [];
      await lockContacts(trx, tenant.id, items.flatMap((item) => (item.ok ? [item.lead] : [])));
      // In order, in one transaction: a later item repeating an earlier one's contact merges into it.
      for (const item of items) results.push(item.ok ? await captureItem(trx, item, ctx) : { index: item.index, status: 'rejected', errors: item.errors });
      const rejected = results.filter((result) => result.status === 'rejected').length;
      return { status: 200, body: { accepted: items.length - rejected, rejected, results } };
    });
    const { accepted, rejected } = response.body as z.infer<typeof batchResponseSchema>;
    annotateRequestLog(request, { accepted, rejected, replayed: response.replayed });
    return sendStored(reply, response);
  });
}
