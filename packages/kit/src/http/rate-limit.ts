import fastifyRateLimit from '@fastify/rate-limit';
import type { FastifyRequest } from 'fastify';
import { errors } from '../errors.js';
import type { Redis } from '../redis.js';
import { sharedCounterStore } from './rate-limit-store.js';
import type { HttpApp } from './types.js';

/** Options of registerRateLimit; `nameSpace` prefixes the Redis keys (one per service, or per test). */
export type RateLimitOptions = { redis: Redis; defaultPerMinute: number; nameSpace: string };

const WINDOW_MS = 60_000;

/** Per-API-key limits in Redis on authenticated routes; 429 problem+json with Retry-After. Call after registerAuth, before routes. */
export async function registerRateLimit(app: HttpApp, opts: RateLimitOptions): Promise<void> {
  await app.register(fastifyRateLimit, {
    global: true,
    // The plugin adds its hook to each route; instance hooks such as registerAuth's run before it, so the key is known.
    hook: 'onRequest',
    // Counts in Redis, shared by every instance, without a round trip per request far below the limit.
    store: sharedCounterStore(opts.redis, opts.nameSpace, app.log),
    timeWindow: WINDOW_MS,
    keyGenerator: (request: FastifyRequest) => request.principal?.keyId ?? '',
    // Public routes (probes, docs) have no principal and are not limited.
    allowList: (request: FastifyRequest) => request.principal === undefined,
    max: (request: FastifyRequest) => request.principal?.rateLimitPerMinute ?? opts.defaultPerMinute,
    // IETF RateLimit-* header names instead of the X-RateLimit-* ones.
    enableDraftSpec: true,
    // A Redis outage must not stop lead capture: limits are protection, losing them briefly is the smaller harm.
    skipOnError: true,
    errorResponseBuilder: (_request, context) => errors.tooManyRequests(context.ttl / 1000),
  });
}
