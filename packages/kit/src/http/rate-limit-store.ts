import type { Logger } from '../logger.js';
import type { Redis } from '../redis.js';

/*
 * The rate limiter's counter (a @fastify/rate-limit store): Redis holds each key's count for the window, so
 * every instance of a service shares one budget, but a request far below its limit does not wait for Redis.
 *
 * A round trip per request cost the capture service about a tenth of its throughput (pnpm bench capture:
 * 6,583 leads/s without the limiter, 5,801 with it). Here an instance answers from its own view of a key's
 * count (what Redis last returned, plus what it has sent since and not heard back about, plus what it
 * admitted and has not sent) while that view is fresh and below LOCAL_SHARE of the limit, admitting at most
 * a lease (LEASE_SHARE of the limit) that way until Redis has acknowledged it; what it admitted goes to Redis
 * within FLUSH_MS. Otherwise a request increments Redis and waits for the total, as a plain Redis store does.
 *
 * What that costs in accuracy: below LOCAL_SHARE, RateLimit-Remaining is approximate (it does not yet
 * include what other instances admitted in their last FLUSH_MS or so, and concurrent answers may show it out
 * of order). One instance is exact: its view counts everything it admitted, and its commands reach Redis in
 * the order it sent them. Across n instances, each can have a lease admitted locally that reaches Redis only
 * after the count there crossed the limit, so a burst can admit up to n leases more than the limit.
 */

/** Below this share of its limit, a key's requests may be counted locally. */
const LOCAL_SHARE = 0.8;
/** At most this share of the limit is admitted locally per key before Redis acknowledges it (at least one). */
const LEASE_SHARE = 0.05;
/** How soon locally counted requests are added to Redis. */
const FLUSH_MS = 100;
/** How old a key's view of the Redis count may be for a request to be answered from it. */
const FRESH_MS = 1_000;
/** How often views whose window is over are forgotten. */
const SWEEP_MS = 10_000;

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

/** One key's view of its count in the current window. */
type View = {
  /** The total Redis last returned (replies arrive in the order commands were sent). */
  counted: number;
  /** Sent to Redis, not yet acknowledged. */
  unacked: number;
  /** Admitted locally, not yet sent. */
  pending: number;
  /** Admitted locally and not yet acknowledged by Redis: bounded by the lease. */
  leased: number;
  windowMs: number;
  windowEnds: number;
  syncedAt: number;
};

/** Whether the view may answer a request itself: fresh, well below the limit, and with lease to spare. */
function countsLocally(view: View, now: number, max: number): boolean {
  const seen = view.counted + view.unacked + view.pending;
  return now - view.syncedAt <= FRESH_MS && seen + 1 <= max * LOCAL_SHARE && view.leased + 1 <= Math.max(1, Math.floor(max * LEASE_SHARE));
}

/** The counter all routes of one app share; the plugin's per-route stores are prefixes of it. */
class SharedCounter {
  private readonly views = new Map<string, View>();
  private timer: NodeJS.Timeout | undefined;
  private sweptAt = Date.now();
  /** Whether the last call to Redis failed: an outage is logged once, not per request. */
  private failing = false;

  constructor(
    private readonly redis: RedisWithIncrement,
    private readonly logger: Logger,
  ) {}

  increment(key: string, windowMs: number, max: number, callback: Callback): void {
    const now = Date.now();
    this.sweep(now);
    let view = this.views.get(key);
    if (view && now >= view.windowEnds) {
      // That window is over in Redis too: nothing counted in it counts any more.
      this.views.delete(key);
      view = undefined;
    }
    if (view !== undefined && countsLocally(view, now, max)) {
      view.pending += 1;
      view.leased += 1;
      this.scheduleFlush();
      callback(null, { current: view.counted + view.unacked + view.pending, ttl: view.windowEnds - now });
      return;
    }
    // Near the limit, or without a fresh view: this request, and those admitted but not sent, go to Redis now.
    const by = 1 + (view?.pending ?? 0);
    const leased = view?.pending ?? 0;
    if (view) view.pending = 0;
    this.send(key, by, leased, windowMs).then((count) => callback(null, count), (err: Error) => callback(err));
  }

  /**
   * Adds `by` requests (`leased` of them admitted locally) to the key's count in Redis and takes the total
   * as this instance's view. On failure they stay to be sent again, and the view is stale, so the key's
   * next request goes to Redis (where the plugin's skipOnError decides) and carries them.
   */
  private async send(key: string, by: number, leased: number, windowMs: number): Promise<Count> {
    const now = Date.now();
    const view = this.views.get(key) ?? { counted: 0, unacked: 0, pending: 0, leased: 0, windowMs, windowEnds: now + windowMs, syncedAt: 0 };
    this.views.set(key, view);
    view.unacked += by;
    try {
      const [current, ttl] = await this.redis.rateLimitIncrementBy(key, by, windowMs);
      const at = Date.now();
      Object.assign(view, { counted: current, windowMs, windowEnds: at + ttl, syncedAt: at });
      view.leased -= leased;
      if (this.failing) this.logger.info('rate limit counts reach Redis again');
      this.failing = false;
      return { current, ttl };
    } catch (error) {
      // Still admitted and still leased: they wait to be sent again.
      view.pending += leased;
      view.syncedAt = 0;
      // Requests are let through meanwhile (the plugin's skipOnError): limits are off until Redis answers.
      if (!this.failing) this.logger.warn({ err: error }, 'rate limit counts cannot reach Redis; requests are not limited until they do');
      this.failing = true;
      throw error;
    } finally {
      view.unacked -= by;
    }
  }

  private scheduleFlush(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flush();
    }, FLUSH_MS);
    // A pending flush must not keep a stopping process alive; what it would add is one window's count.
    this.timer.unref();
  }

  /** Sends every key's locally admitted requests to Redis. */
  private flush(): void {
    const now = Date.now();
    for (const [key, view] of this.views) {
      if (view.pending === 0) continue;
      const by = view.pending;
      view.pending = 0;
      if (now >= view.windowEnds) {
        // Their window is over: they count towards nothing.
        view.leased -= by;
        continue;
      }
      // A failure is logged by send and kept in the view: the key's next request goes to Redis and carries them.
      this.send(key, by, by, view.windowMs).catch(() => undefined);
    }
  }

  /** Forgets views whose window is over (and that hold nothing unsent or unacknowledged). */
  private sweep(now: number): void {
    if (now - this.sweptAt < SWEEP_MS) return;
    this.sweptAt = now;
    for (const [key, view] of this.views) {
      if (now >= view.windowEnds && view.unacked === 0) this.views.delete(key);
    }
  }
}

/** The store class @fastify/rate-limit instantiates (`store` option), counting under `nameSpace` in `redis`. */
export function sharedCounterStore(redis: Redis, nameSpace: string, logger: Logger) {
  if (!('rateLimitIncrementBy' in redis)) redis.defineCommand('rateLimitIncrementBy', { numberOfKeys: 1, lua: INCREMENT });
  const counter = new SharedCounter(redis as RedisWithIncrement, logger);
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
