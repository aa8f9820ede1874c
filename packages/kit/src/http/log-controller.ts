import { LogController, type FastifyReply, type FastifyRequest } from 'fastify';

// Fastify's default lines log the full URL (query strings can carry emails or phones) and the
// whole req object; these log the route pattern instead, and never a body.
function requestFields(request: FastifyRequest) {
  return { method: request.method, route: request.routeOptions.url ?? '(unmatched)' };
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
