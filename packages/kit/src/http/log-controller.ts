import { LogController, type FastifyReply, type FastifyRequest } from 'fastify';

/** Ids and counts a handler adds to its request's completion line. */
export type LogFields = Record<string, string | number | boolean>;

declare module 'fastify' {
  interface FastifyRequest {
    /** Set through annotateRequestLog; read when the request's completion line is written. */
    logFields?: LogFields;
  }
}

/**
 * Adds fields to the line the kit writes when the request completes (or fails), so a request is logged
 * once, not twice: each line is a write on the hot path. A child logger would do the same at the cost of
 * one per request. Ids and counts only.
 */
export function annotateRequestLog(request: FastifyRequest, fields: LogFields): void {
  request.logFields = request.logFields === undefined ? fields : { ...request.logFields, ...fields };
}

// Fastify's default lines log the full URL (query strings can carry emails or phones) and the
// whole req object; these log the route pattern instead, and never a body.
function requestFields(request: FastifyRequest) {
  // The handler's fields first: they cannot overwrite the method or the route.
  return { ...request.logFields, method: request.method, route: request.routeOptions.url ?? '(unmatched)' };
}

/** Request log lines with reqId (from the child logger), method, route pattern, status and time. */
export class RequestLogController extends LogController {
  override incomingRequest(request: FastifyRequest): void {
    if (this.isLogDisabled(request)) return;
    request.log.debug(requestFields(request), 'request received');
  }

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (this.isLogDisabled(request)) return;
    const fields = {
      ...requestFields(request),
      statusCode: reply.statusCode,
      responseTimeMs: Math.round(reply.elapsedTime * 10) / 10,
    };
    if (error) reply.log.error({ ...fields, err: error }, 'request errored');
    else reply.log.info(fields, 'request completed');
  }

  override routeNotFound(request: FastifyRequest): void {
    if (this.isLogDisabled(request)) return;
    request.log.info({ method: request.method }, 'route not found');
  }

  override defaultErrorLog(error: Error, request: FastifyRequest, reply: FastifyReply): void {
    if (this.isLogDisabled(request)) return;
    const level = reply.statusCode >= 500 ? 'error' : 'info';
    reply.log[level]({ ...requestFields(request), statusCode: reply.statusCode, err: error }, 'request failed');
  }

  override writeHeadError(error: Error, request: FastifyRequest): void {
    request.log.warn({ ...requestFields(request), err: error }, 'writing response headers failed');
  }
}
