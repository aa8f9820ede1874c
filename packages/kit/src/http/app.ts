import Fastify from 'fastify';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import {
  jsonSchemaTransform,
  jsonSchemaTransformObject,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import type { Logger } from '../logger.js';
import type { MetricsRegistry } from '../metrics.js';
import { handleError, registerErrorHandling } from './error-handler.js';
import { RequestLogController } from './log-controller.js';
import { registerProbes, type ReadinessCheck } from './probes.js';
import { correlationIdOf, genReqId, registerRequestContext } from './request-context.js';
import type { HttpApp } from './types.js';

/** Options of buildHttpApp. */
export type HttpAppOptions = {
  name: string;
  version: string;
  logger: Logger;
  bodyLimit?: number;
  readiness: Record<string, ReadinessCheck>;
  metrics: MetricsRegistry;
  openapi?: { description?: string; tags?: Array<{ name: string; description?: string }> };
};

function createFastify(opts: HttpAppOptions) {
  return Fastify({
    loggerInstance: opts.logger,
    bodyLimit: opts.bodyLimit ?? 1024 * 1024,
    // Our genReqId reads and vets x-request-id itself; fastify's header option would trust any value.
    requestIdHeader: false,
    genReqId,
    logController: new RequestLogController(),
    // Errors raised before routing (e.g. a malformed %-escape in the URL) would otherwise bypass problem+json.
    frameworkErrors: handleError,
    childLoggerFactory: (logger, bindings, childOpts, rawReq) =>
      logger.child({ ...bindings, correlationId: correlationIdOf(rawReq.headers, String(bindings['reqId'])) }, childOpts),
  }).withTypeProvider<ZodTypeProvider>();
}

/** Builds a service's Fastify app (errors, ids, probes, metrics, OpenAPI at /docs) without listening. */
export async function buildHttpApp(opts: HttpAppOptions): Promise<HttpApp> {
  const app: HttpApp = createFastify(opts);
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  // Declared up front so every request object keeps one shape (see annotateRequestLog).
  app.decorateRequest('logFields', undefined);
  registerRequestContext(app);
  registerErrorHandling(app);
  // Swagger collects routes through an onRoute hook, so it must be in place before any route.
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: opts.name, version: opts.version, description: opts.openapi?.description ?? '' },
      tags: opts.openapi?.tags ?? [],
    },
    transform: jsonSchemaTransform,
    transformObject: jsonSchemaTransformObject,
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/docs' });
  registerProbes(app, { readiness: opts.readiness, metrics: opts.metrics });
  return app;
}
