import { AppError, errors, problemSchema, requirePrincipal, type FieldError } from '@baton/kit';
import type { FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import { z } from 'zod';

/** What the metrics routes need. */
export type RouteDeps = { db: Kysely<any>; clock: () => Date };

const PROBLEM_STATUSES = { 400: 'invalid request', 401: 'no valid API key', 403: 'missing scope', 404: 'not found', 429: 'rate limited' } as const;

/** problem+json documentation for the listed error statuses of a route. */
export function problems<S extends keyof typeof PROBLEM_STATUSES>(...statuses: S[]): Record<S, typeof problemSchema> {
  return Object.fromEntries(statuses.map((status) => [status, problemSchema.describe(PROBLEM_STATUSES[status])])) as Record<S, typeof problemSchema>;
}

/** The same 400 the kit answers for schema failures, for rules checked after the schema (windows, cursors). */
export function invalidFields(fieldErrors: FieldError[]): AppError {
  return new AppError('validation_failed', 'The request is invalid; see errors', { status: 400, details: { errors: fieldErrors } });
}

/** The caller's tenant: every query is scoped to it, so another tenant's lead simply does not exist. */
export function tenantOf(request: FastifyRequest): string {
  return requirePrincipal(request).tenantId;
}

// Opaque to clients, but only base64url of the last position: nothing secret, and tampering only moves the page.
const cursorSchema = z.tuple([z.iso.datetime(), z.uuid()]);

/** Encodes a keyset position (instant, id) as a cursor. */
export const encodeCursor = (at: Date, id: string): string => Buffer.from(JSON.stringify([at.toISOString(), id])).toString('base64url');

/** Decodes a cursor this API issued; a 400 naming query.cursor otherwise. */
export function decodeCursor(cursor: string): { at: Date; id: string } {
  try {
    const [at, id] = cursorSchema.parse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
    return { at: new Date(at), id };
  } catch {
    throw invalidFields([{ field: 'query.cursor', message: 'is not a cursor this API issued' }]);
  }
}

/** A page size query parameter. */
export const limitSchema = (max: number, fallback: number) => z.coerce.number().int().min(1).max(max).default(fallback);

/** A cursor query parameter. */
export const cursorParamSchema = z.string().max(300).optional().meta({ description: 'nextCursor of the previous page' });

/** 404 for a lead the caller's tenant does not have (whether or not another tenant does). */
export const leadNotFound = (leadId: string) => errors.notFound(`Lead ${leadId}`);
