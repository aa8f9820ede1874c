import { AppError, errors, problemSchema, requirePrincipal, type FieldError, type StoredResponse } from '@baton/kit';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import type { Database } from '../db/schema.js';
import type { Timer } from '../domain/assignment.js';

/** What the routing routes need. */
export type RouteDeps = {
  db: Kysely<Database>;
  clock: () => Date;
  /** Topic routing's events are enqueued for. */
  topic: string;
  /** Adds SLA timers to BullMQ after the transaction that set them committed. */
  schedule: (timers: readonly Timer[]) => Promise<void>;
};

/** The caller's tenant: every query of every route is scoped by it. */
export function tenantOf(request: FastifyRequest): string {
  return requirePrincipal(request).tenantId;
}

/** The same 400 the kit answers for schema failures, for checks made after the schema (references to ids). */
export function invalidFields(fieldErrors: FieldError[]): AppError {
  return new AppError('validation_failed', 'The request is invalid; see errors', { status: 400, details: { errors: fieldErrors } });
}

/** 404 for an id the tenant does not have (another tenant's id included: its existence is not revealed). */
export function notFound(what: string): AppError {
  return errors.notFound(what);
}

/** Sends a response withIdempotency produced, marking replays the way payment APIs do. */
export function sendStored(reply: FastifyReply, response: StoredResponse & { replayed: boolean }): FastifyReply {
  if (response.replayed) reply.header('idempotent-replayed', 'true');
  return reply.code(response.status).send(response.body);
}

const PROBLEM_STATUSES = { 400: 'invalid request', 401: 'no valid API key', 403: 'missing scope', 404: 'not found', 409: 'conflict', 422: 'Idempotency-Key reused with another body', 429: 'rate limited' } as const;

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

/** `{ id }` path parameters. */
export const idParamsSchema = z.object({ id: z.uuid() });

/** Instants as the API shows them. */
export const iso = (date: Date | null): string | null => (date === null ? null : date.toISOString());
