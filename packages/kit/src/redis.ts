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

/**
 * Closes a client with QUIT, after what it has already sent, and returns once the connection has ended.
 * ioredis can reject the QUIT itself with "Connection is closed." when the socket closes before QUIT's reply
 * is read (redis/ioredis#2025, seen in this repo's test teardown): the connection has closed all the same,
 * which is what closing asks for. A failure that leaves the client open is thrown. A client waiting to
 * reconnect (Redis is down) stops trying and this returns at once: a QUIT would wait in the offline queue for
 * a reconnect that may never come. (A client still connecting gets the QUIT after what it has queued.)
 */
export async function closeRedis(redis: Redis): Promise<void> {
  // A function, not a narrowed property: quit() changes the status.
  const hasEnded = () => redis.status === 'end';
  if (hasEnded()) return;
  if (redis.status === 'reconnecting') {
    redis.disconnect();
    return;
  }
  // Not events.once: it would reject on an 'error' event after a failed QUIT, with no one left to listen.
  const ended = new Promise<void>((resolve) => redis.once('end', () => resolve()));
  try {
    await redis.quit();
  } catch (error) {
    if (!hasEnded()) throw error;
  }
  await ended;
}
