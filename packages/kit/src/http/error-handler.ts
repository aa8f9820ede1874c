import { STATUS_CODES } from 'node:http';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../errors.js';
import { sendProblem, type FieldError, type ProblemSpec } from './problem.js';
import type { HttpApp } from './types.js';

// Framework errors whose default wording or status we replace with a stable code.
const FRAMEWORK_ERRORS: Record<string, Omit<ProblemSpec, 'extra' | 'headers'>> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, code: 'payload_too_large', detail: 'The request body is too large' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    status: 415,
    code: 'unsupported_media_type',
    detail: 'The request content type is not supported; send application/json',
  },
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, code: 'malformed_json', detail: 'The request body is not valid JSON' },
  FST_ERR_CTP_EMPTY_JSON_BODY: {
    status: 400,
    code: 'malformed_json',
    detail: 'The content type is application/json but the body is empty',
  },
};

// Fastify names validation locations after the schema key; callers think in request parts.
const LOCATIONS: Record<string, string> = { body: 'body', querystring: 'query', params: 'params', headers: 'headers' };

type ValidationItem = { instancePath: string; message?: string; keyword?: string; params?: Record<string, unknown> };

function fieldErrors(context: string | undefined, items: ValidationItem[]): FieldError[] {
  const location = LOCATIONS[context ?? ''] ?? context ?? 'request';
  return items.flatMap((item) => {
    const path = item.instancePath.split('/').filter((segment) => segment.length > 0);
    // zod reports unknown keys on their parent; name each key so the caller sees which field to drop.
    const keys = item.keyword === 'unrecognized_keys' ? item.params?.['keys'] : undefined;
    const leaves = Array.isArray(keys) ? keys.map((key) => [...path, String(key)]) : [path];
    return leaves.map((leaf) => ({ field: [location, ...leaf].join('.'), message: item.message ?? 'is invalid' }));
  });
}

/**
 * The field errors of a failed schema validation, as the 400 names them. For routes with `attachValidation`
 * that add checks of their own to the same answer.
 */
export function validationFieldErrors(error: { validation?: unknown; validationContext?: string }): FieldError[] {
  return fieldErrors(error.validationContext, Array.isArray(error.validation) ? (error.validation as ValidationItem[]) : []);
}

// Object details become top-level members (RFC 9457 extensions); anything else sits under `details`.
function extraOf(details: unknown): Record<string, unknown> | undefined {
  if (details === undefined) return undefined;
  if (details !== null && typeof details === 'object' && !Array.isArray(details)) return { ...details };
  return { details };
}

function codeForStatus(status: number): string {
  // Same code as errors.tooManyRequests, so clients branch on one value whichever layer refused.
  if (status === 429) return 'rate_limited';
  return (STATUS_CODES[status] ?? 'bad request').toLowerCase().replace(/[^a-z]+/g, '_');
}

function clientStatusOf(error: Partial<FastifyError>): number | undefined {
  const status = error.statusCode;
  return typeof status === 'number' && status >= 400 && status < 500 ? status : undefined;
}

/** Decides the answer for any thrown value; 5xx answers never carry the internal message. */
export function toProblem(error: unknown): ProblemSpec {
  if (error instanceof AppError) {
    const detail = error.status >= 500 ? 'The service could not complete the request' : error.message;
    return { status: error.status, code: error.code, detail, headers: error.headers, extra: extraOf(error.details) };
  }
  const fastifyError = (error ?? {}) as Partial<FastifyError>;
  if (Array.isArray(fastifyError.validation)) {
    const errors = fieldErrors(fastifyError.validationContext, fastifyError.validation);
    return { status: 400, code: 'validation_failed', detail: 'The request is invalid; see errors', extra: { errors } };
  }
  const known = fastifyError.code === undefined ? undefined : FRAMEWORK_ERRORS[fastifyError.code];
  if (known) return { ...known };
  const status = clientStatusOf(fastifyError);
  if (status !== undefined) {
    return { status, code: codeForStatus(status), detail: fastifyError.message ?? 'The request cannot be served' };
  }
  return { status: 500, code: 'internal_error', detail: 'An unexpected error occurred' };
}

/** The one error handler; also fastify's `frameworkErrors` hook (bad URL encoding, content-type parsing). */
export function handleError(error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const problem = toProblem(error);
  if (problem.status >= 500) request.log.error({ err: error, code: problem.code }, 'request failed');
  // Client mistakes are routine; the code is enough, and messages may echo input.
  else request.log.info({ code: problem.code, statusCode: problem.status }, 'request rejected');
  return sendProblem(request, reply, problem);
}

/** Installs the one error handler and the problem+json 404 handler. */
export function registerErrorHandling(app: HttpApp): void {
  app.setErrorHandler(handleError);
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0] ?? request.url;
    return sendProblem(request, reply, {
      status: 404,
      code: 'not_found',
      detail: `No route ${request.method} ${path}`,
    });
  });
}
