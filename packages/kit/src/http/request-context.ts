import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { HttpApp } from './types.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Ties together every request and event caused by one outside action; defaults to the request id. */
    correlationId: string;
  }
}

export const REQUEST_ID_HEADER = 'x-request-id';
export const CORRELATION_ID_HEADER = 'x-correlation-id';

// Ids from outside end up in logs, headers and events, so only short, inert ones are honoured.
const SANE_ID = /^[A-Za-z0-9._-]{1,128}$/;

function saneHeader(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return typeof value === 'string' && SANE_ID.test(value) ? value : undefined;
}

/** Fastify genReqId: the caller's x-request-id when sane, else a fresh UUID. */
export function genReqId(req: IncomingMessage): string {
  return saneHeader(req.headers, REQUEST_ID_HEADER) ?? randomUUID();
}

/** The caller's x-correlation-id when sane, else the request id. */
export function correlationIdOf(headers: IncomingHttpHeaders, requestId: string): string {
  return saneHeader(headers, CORRELATION_ID_HEADER) ?? requestId;
}

/** Sets request.correlationId and echoes both ids on every response, errors and 404s included. */
export function registerRequestContext(app: HttpApp): void {
  app.decorateRequest('correlationId', '');
  app.addHook('onRequest', async (request) => {
    request.correlationId = correlationIdOf(request.headers, request.id);
  });
  app.addHook('onSend', async (request, reply) => {
    reply.header(REQUEST_ID_HEADER, request.id);
    // Fallback for errors raised before onRequest ran (e.g. a malformed URL).
    reply.header(CORRELATION_ID_HEADER, request.correlationId || correlationIdOf(request.headers, request.id));
  });
}
