import { errors, problemSchema, requirePrincipal, type Identity, type Principal, type StoredResponse, type Tenant } from '@baton/kit';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import type { NewLeadBatcher } from '../db/new-lead-batcher.js';
import type { Database } from '../db/schema.js';

/** What the capture routes need. */
export type RouteDeps = { db: Kysely<Database>; newLeads: NewLeadBatcher; identity: Identity; clock: () => Date; topic: string };

/** The caller and its tenant (cached by identity); a key whose tenant is gone is as good as no key. */
export async function callerOf(request: FastifyRequest, identity: Identity): Promise<{ principal: Principal; tenant: Tenant }> {
  const principal = requirePrincipal(request);
  const tenant = await identity.getTenant(principal.tenantId);
  if (!tenant) throw errors.unauthorized();
  return { principal, tenant };
}

/** Sends a response withIdempotency produced, marking replays the way payment APIs do. */
export function sendStored(reply: FastifyReply, response: StoredResponse & { replayed: boolean }): FastifyReply {
  if (response.replayed) reply.header('idempotent-replayed', 'true');
  return reply.code(response.status).send(response.body);
}

const PROBLEM_STATUSES = { 400: 'invalid request', 401: 'no valid API key', 403: 'missing scope', 404: 'not found', 409: 'conflict', 413: 'body too large', 422: 'Idempotency-Key reused with another body', 429: 'rate limited' } as const;

/** problem+json documentation for the listed error statuses of a route. */
export function problems<S extends keyof typeof PROBLEM_STATUSES>(...statuses: S[]): Record<S, typeof problemSchema> {
  return Object.fromEntries(statuses.map((status) => [status, problemSchema.describe(PROBLEM_STATUSES[status])])) as Record<S, typeof problemSchema>;
}

// Loose: headers always carry more than a route names, and validation must not strip Authorization.
/** The Idempotency-Key header, documented on every POST. */
export const idempotencyHeadersSchema = z.looseObject({
  'idempotency-key': z.string().min(1).max(255).optional().meta({
    description: 'Same key and body within 24 h replays the first answer (with Idempotent-Replayed: true); the same key with another body is a 422',
  }),
});
