import { STATUS_CODES } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** One invalid input field, named by location and path (e.g. `body.contact.email`). */
export type FieldError = { field: string; message: string };

/** What the error handler decided to answer, before it becomes an RFC 9457 body. */
export type ProblemSpec = {
  status: number;
  code: string;
  detail: string;
  extra?: Record<string, unknown>;
  headers?: Record<string, string>;
};

/** The problem+json body, for routes that document their error responses in OpenAPI. */
export const problemSchema = z.looseObject({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  code: z.string(),
  detail: z.string(),
  instance: z.string(),
  requestId: z.string(),
  errors: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
});

/** Builds the problem+json body; extra members never override the standard ones. */
export function problemBody(request: FastifyRequest, spec: ProblemSpec): z.infer<typeof problemSchema> {
  return {
    ...spec.extra,
    type: `https://baton.dev/problems/${spec.code}`,
    title: STATUS_CODES[spec.status] ?? 'Error',
    status: spec.status,
    code: spec.code,
    detail: spec.detail,
    instance: request.url,
    requestId: request.id,
  };
}

/** Sends a problem+json response. */
export function sendProblem(request: FastifyRequest, reply: FastifyReply, spec: ProblemSpec): FastifyReply {
  for (const [name, value] of Object.entries(spec.headers ?? {})) reply.header(name, value);
  return reply.code(spec.status).type(PROBLEM_CONTENT_TYPE).send(problemBody(request, spec));
}
