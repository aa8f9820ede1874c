import type { Redis } from '../redis.js';

/*
 * The rate limiter's counter (a @fastify/rate-limit store): Redis holds each key's count for the window, so
 * every instance of a service shares one budget, but a request far below its limit does not wait for Redis.
 *
 * A round trip per request cost the capture service about a tenth of its throughput (pnpm bench capture:
 * 6,583 leads/s without the limiter, 5,801 with it). Here an instance answers from its own view of a key's
 * count (what Redis last returned, plus what the instance admitted since) while that view is fresh and below
 * LOCAL_SHARE of the limit, admitting at most a lease (LEASE_SHARE of the limit) that way per FLUSH_MS, and
 * adds what it admitted to Redis every FLUSH_MS. Otherwise each request increments Redis and waits for the
 * total, as a plain Redis store does.
 *
 * What that costs in accuracy: below LOCAL_SHARE, RateLimit-Remaining does not yet include what other
 * instances admitted in their last FLUSH_MS. At the limit, the count in Redis can lack each other instance's
 * unflushed lease for up to FLUSH_MS, so a burst across n instances that reaches the limit within that time
 * can admit up to (n - 1) leases more than the limit. One instance is exact.
 */

/** Below this share of its limit, a key's requests may be counted locally. */
const LOCAL_SHARE = 0.8;
/** At most this share of the limit is admitted locally per key between two flushes (at least one request). */
const LEASE_SHARE = 0.05;
/** How often locally counted requests are added to Redis. */
const FLUSH_MS = 100;
/** How old a key's view of the Redis count may be for a request to be answered from it. */
const FRESH_MS = 1_000;

// INCRBY that starts the window on a new key; returns the total and the window's time left (ms).
const INCREMENT = `
  local current = redis.call('INCRBY', KEYS[1], ARGV[1])
  if current == tonumber(ARGV[1]) then
    redis.call('PEXPIRE', KEYS[1], ARGV[2])
    return {current, tonumber(ARGV[2])}
  end
  return {current, redis.call('PTTL', KEYS[1])}`;

type Count = { current: number; ttl: number };
type Callback = (err: Error | null, result?: Count) => void;
type RedisWithIncrement = Redis & { rateLimitIncrementBy(key: string, by: number, windowMs: number): Promise<[number, number]> };

/** One key's view: the count Redis last returned, what this instance admitted since, and its window. */
type View = { counted: number; pending: number; windowEnds: number; syncedAt: number };

/** The counter all routes of one app share; the plugin's per-route stores are prefixes of it. */
class SharedCounter {
  private readonly views = new Map<string, View>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly redis: RedisWithIncrement) {}

  increment(key: string, windowMs: number, max: number, callback: Callback): void {
    const now = Date.now();
    const view = this.views.get(key);
    const local =
      view !== undefined &&
      now < view.windowEnds &&
      now - view.syncedAt <= FRESH_MS &&
      view.counted + view.pending + 1 <= max * LOCAL_SHARE &&
      view.pending + 1 <= Math.max(1, Math.floor(max * LEASE_SHARE));
    if (local) {
      view.pending += 1;
      this.scheduleFlush();
      callback(null, { current: view.counted + view.pending, ttl: view.windowEnds - now });
      return;
    }
    // Near the limit (or without a fresh view): this request and any not yet added go to Redis now.
    const by = 1 + (view && now < view.windowEnds ? view.pending : 0);
    if (view) view.pending = 0;
    this.add(key, by, windowMs).then(
      (count) => callback(null, count),
      (err: Error) => {
        // The earlier requests still count: the next flush or call to Redis carries them.
        if (view) view.pending += by - 1;
        callback(err);
      },
    );
  }

  /** Adds `by` to the key's count in Redis and takes the total as this instance's view. */
  private async add(key: string, by: number, windowMs: number): Promise<Count> {
    const [current, ttl] = await this.redis.rateLimitIncrementBy(key, by, windowMs);
    const now = Date.now();
    const view = this.views.get(key);
    // Requests counted locally while this call ran are still pending; they are on top of this total.
    if (view) Object.assign(view, { counted: current, windowEnds: now + ttl, syncedAt: now });
    else this.views.set(key, { counted: current, pending: 0, windowEnds: now + ttl, syncedAt: now });
    return { current, ttl };
  }

  private scheduleFlush(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, FLUSH_MS);
    // A pending flush must not keep a stopping process alive; what it would add is one window's count.
    this.timer.unref();
  }

  /** Adds every key's locally counted requests to Redis; forgets keys whose window is over. */
  private async flush(): Promise<void> {
    const now = Date.now();
    const sends: Array<Promise<unknown>> = [];
    for (const [key, view] of this.views) {
      if (now >= view.windowEnds) {
        // Their window is over in Redis too: they count towards nothing.
        this.views.delete(key);
      } else if (view.pending > 0) {
        const by = view.pending;
        view.pending = 0;
        const windowMs = view.windowEnds - now;
        sends.push(
          this.add(key, by, windowMs).catch(() => {
            // Redis is failing: keep the count for the next flush, and send the next request to Redis
            // (stale view), where the plugin's skipOnError decides.
            view.pending += by;
            view.syncedAt = 0;
            this.scheduleFlush();
          }),
        );
      }
    }
    await Promise.all(sends);
  }
}

/** The store class @fastify/rate-limit instantiates (`store` option), counting under `nameSpace` in `redis`. */
export function sharedCounterStore(redis: Redis, nameSpace: string) {
  if (!('rateLimitIncrementBy' in redis)) redis.defineCommand('rateLimitIncrementBy', { numberOfKeys: 1, lua: INCREMENT });
  const counter = new SharedCounter(redis as RedisWithIncrement);
  // The plugin constructs it with its own settings, which this store does not need.
  class Store {
    prefix = nameSpace;

    // The plugin passes the window and the limit too (its typings omit them); the limit must be known to
    // count locally, and the window to start one.
    incr(key: string, callback: Callback, timeWindow?: number, max?: number): void {
      if (timeWindow === undefined || max === undefined) {
        callback(new Error('the rate limit store needs the window and the limit'));
        return;
      }
      counter.increment(this.prefix + key, timeWindow, max, callback);
    }

    /**
     * The store of one route: the plugin counts each route's requests apart, as its Redis store does. It
     * passes the route's merged settings, with the route under `routeInfo` (its typings say otherwise).
     */
    child(settings: object): Store {
      const { routeInfo } = settings as { routeInfo?: { method?: string; url?: string } };
      const store = new Store();
      store.prefix = `${this.prefix}${routeInfo?.method}${routeInfo?.url}-`;
      return store;
    }
  }
  return Store;
}
