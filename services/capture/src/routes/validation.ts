import type { EventTooLargeError } from '@baton/kafka';
import { AppError } from '@baton/kit';
import type { FastifyRequest } from 'fastify';
import type { z } from 'zod';
import type { FieldError } from '../domain/lead.js';

/** The same 400 the kit answers for schema failures, for rules checked after the schema (phones, cursors). */
export function invalidFields(errors: FieldError[]): AppError {
  return new AppError('validation_failed', 'The request is invalid; see errors', { status: 400, details: { errors } });
}

/** 413 for a lead whose event would exceed what the outbox (and Kafka) accept. */
export function leadTooLarge(error: EventTooLargeError): AppError {
  return new AppError('lead_too_large', `The lead is too large to publish: its ${error.eventType} event would be ${error.bytes} bytes`, { status: 413 });
}

/** zod issues as field errors under `prefix`; unknown keys are named one by one, like the kit does. */
export function fieldErrorsOf(error: z.ZodError, prefix: string): FieldError[] {
  return error.issues.flatMap((issue) => {
    const path = [prefix, ...issue.path.map(String)];
    if (issue.code === 'unrecognized_keys') return issue.keys.map((key) => ({ field: [...path, key].join('.'), message: issue.message }));
    return [{ field: path.join('.'), message: issue.message }];
  });
}

// Deep enough for any real lead (the deepest field is body.leads.N.context.stakeholders.N.role); the cap
// protects everything that walks the body recursively (zod, the idempotency fingerprint) from stack overflows.
const MAX_DEPTH = 16;
// Postgres text and jsonb cannot hold NUL, and jsonb rejects unpaired surrogates: refuse them up front
// instead of failing the insert with a 500.
const UNSTORABLE = /[\u0000]|\p{Cs}/u;

type Pending = { value: unknown; path: string[] };

function problemAt(value: unknown, path: string[]): string | undefined {
  if (path.length > MAX_DEPTH) return `nests deeper than ${MAX_DEPTH} levels`;
  if (typeof value === 'string' && UNSTORABLE.test(value)) return 'contains a NUL character or an unpaired surrogate';
  return undefined;
}

const safeField = (path: string[]) => ['body', ...path].join('.').replace(/[\u0000]|\p{Cs}/gu, '\uFFFD');

/** preValidation hook for JSON bodies: 400 naming the first field that is too deep or holds unstorable text. */
export async function guardBody(request: FastifyRequest): Promise<void> {
  // Iterative: a recursive walk is exactly what a hostile, deeply nested body would overflow.
  const stack: Pending[] = [{ value: request.body, path: [] }];
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    const problem = problemAt(item.value, item.path);
    if (problem) throw invalidFields([{ field: safeField(item.path), message: problem }]);
    if (item.value === null || typeof item.value !== 'object') continue;
    for (const [key, value] of Object.entries(item.value)) {
      const path = [...item.path, key];
      if (UNSTORABLE.test(key)) throw invalidFields([{ field: safeField(path), message: 'key contains a NUL character or an unpaired surrogate' }]);
      stack.push({ value, path });
    }
  }
}
