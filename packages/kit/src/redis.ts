import { Redis } from 'ioredis';
import type { Logger } from './logger.js';

export type { Redis } from 'ioredis';

/**
 * Opens an ioredis client; pass `maxRetriesPerRequest: null` for connections BullMQ uses.
 * `autoPipelining` sends the commands of one event-loop turn in one write (the rate limiter's per-request
 * call under concurrency); never for BullMQ connections, whose scripts it is known to break.
 */
export function createRedis(
  url: string,
  opts: { name?: string; maxRetriesPerRequest?: number | null; autoPipelining?: boolean; logger?: Logger } = {},
): Redis {
  const redis = new Redis(url, {
    enableAutoPipelining: opts.autoPipelining ?? false,
    ...(opts.name === undefined ? {} : { connectionName: opts.name }),
    ...(opts.maxRetriesPerRequest === undefined ? {} : { maxRetriesPerRequest: opts.maxRetriesPerRequest }),
  });
  // ioredis reconnects by itself; without a listener it prints "Unhandled error event" to stderr instead.
  redis.on('error', (err: Error) => opts.logger?.warn({ err, redis: opts.name }, 'redis connection error'));
  return redis;
}
