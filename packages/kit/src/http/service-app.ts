import type { Kysely } from 'kysely';
import type { BaseConfig } from '../config.js';
import type { Identity } from '../identity/index.js';
import type { Logger } from '../logger.js';
import type { Messaging } from '../messaging.js';
import type { MetricsRegistry } from '../metrics.js';
import { pingPostgres, pingRedis } from '../readiness.js';
import type { Redis } from '../redis.js';
import { buildHttpApp } from './app.js';
import { registerAuth } from './auth.js';
import { registerRateLimit } from './rate-limit.js';
import type { HttpApp } from './types.js';

/** What every service app is built from; a service's own AppDeps extends it. */
export type ServiceAppDeps = {
  config: BaseConfig & { RATE_LIMIT_PER_MINUTE?: number };
  logger: Logger;
  db: Kysely<any>;
  /** Present when the service needs Redis (rate limits, BullMQ): then /readyz checks it too. */
  redis?: Redis;
  metrics: MetricsRegistry;
  messaging: Pick<Messaging, 'ping'>;
  /** Present when the service has authenticated routes. */
  identity?: Identity;
  /** Redis key prefix of the rate limiter; tests use their own. */
  rateLimitNameSpace?: string;
};

/**
 * A service's app before its routes: probes check exactly the dependencies it has, and with an identity its
 * routes are authenticated and, with Redis and RATE_LIMIT_PER_MINUTE, rate-limited per key.
 */
export async function buildServiceApp(opts: {
  name: string;
  version: string;
  description: string;
  tags?: Array<{ name: string; description?: string }>;
  deps: ServiceAppDeps;
}): Promise<HttpApp> {
  const { deps } = opts;
  const { redis } = deps;
  const app = await buildHttpApp({
    name: opts.name,
    version: opts.version,
    logger: deps.logger,
    bodyLimit: deps.config.BODY_LIMIT_BYTES,
    metrics: deps.metrics,
    readiness: {
      postgres: () => pingPostgres(deps.db),
      kafka: () => deps.messaging.ping(),
      ...(redis ? { redis: () => pingRedis(redis) } : {}),
    },
    openapi: { description: opts.description, tags: opts.tags ?? [] },
  });
  if (deps.identity) registerAuth(app, deps.identity);
  if (deps.identity && redis && deps.config.RATE_LIMIT_PER_MINUTE !== undefined) {
    await registerRateLimit(app, {
      redis,
      defaultPerMinute: deps.config.RATE_LIMIT_PER_MINUTE,
      nameSpace: deps.rateLimitNameSpace ?? `${opts.name}-rate:`,
    });
  }
  return app;
}
