import { testEnv, uniqueName, waitFor } from '@baton/testing';
import { createDatabase, migrateToLatest, type DatabaseHandle } from '../src/db.js';
import { registerAuth } from '../src/http/auth.js';
import { buildHttpApp, type HttpApp } from '../src/http/index.js';
import { registerRateLimit } from '../src/http/rate-limit.js';
import { createIdentity, identityMigrations, type Identity } from '../src/identity/index.js';
import { createLogger } from '../src/logger.js';
import { createMetrics } from '../src/metrics.js';
import { closeRedis, createRedis, type Redis } from '../src/redis.js';

describe('registerRateLimit', () => {
  const nameSpace = `${uniqueName('kit-rl')}:`;
  let database: DatabaseHandle<unknown>;
  let redis: Redis;
  let identity: Identity;
  let app: HttpApp;
  let tenantSlug: string;

  /** An app instance with auth and the limiter on GET /v1/things, counting in `redisConnection`. */
  async function limitedApp(name: string, redisConnection: Redis): Promise<HttpApp> {
    const instance = await buildHttpApp({
      name,
      version: '0.0.0',
      logger: createLogger({ name, level: 'silent' }),
      readiness: {},
      metrics: createMetrics(name),
    });
    registerAuth(instance, identity);
    await registerRateLimit(instance, { redis: redisConnection, defaultPerMinute: 5, nameSpace });
    instance.get('/v1/things', { config: { scope: 'leads:read' } }, async () => ({ ok: true }));
    return instance;
  }

  beforeAll(async () => {
    database = createDatabase({ url: testEnv().databaseUrl, schema: uniqueName('kit_rl'), max: 4 });
    await migrateToLatest(database.db, { schema: 'identity', migrations: identityMigrations });
    redis = createRedis(testEnv().redisUrl);
    identity = createIdentity({ db: database.db });
    tenantSlug = `rl-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
    await identity.createTenant({ slug: tenantSlug });
    app = await limitedApp('kit-rl-test', redis);
    app.get('/v1/public', async () => ({ ok: true }));
    await app.ready();
  });
  afterAll(async () => {
    await app.close();
    const keys = await redis.keys(`${nameSpace}*`);
    if (keys.length > 0) await redis.del(...keys);
    await closeRedis(redis);
    await database.close();
  });

  const getFrom = (instance: HttpApp, key: string, url = '/v1/things') => instance.inject({ method: 'GET', url, headers: { authorization: `Bearer ${key}` } });
  const get = (key: string, url = '/v1/things') => getFrom(app, key, url);

  it("answers the key's N+1th request in a minute with 429 problem+json and Retry-After; another key is unaffected", async () => {
    const limited = await identity.createApiKey({ tenantSlug, scopes: ['leads:read'], rateLimitPerMinute: 3 });
    const other = await identity.createApiKey({ tenantSlug, scopes: ['leads:read'] });
    for (let i = 0; i < 3; i += 1) {
      const ok = await get(limited.key);
      expect(ok.statusCode).toBe(200);
      expect(ok.headers['ratelimit-limit']).toBe('3');
      expect(ok.headers['ratelimit-remaining']).toBe(String(2 - i));
    }
    const refused = await get(limited.key);
    expect(refused.statusCode).toBe(429);
    expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(refused.json()).toMatchObject({ status: 429, code: 'rate_limited' });
    const retryAfter = Number(refused.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(refused.headers['ratelimit-remaining']).toBe('0');
    // The other key has its own budget (the default of 5).
    const fine = await get(other.key);
    expect(fine.statusCode).toBe(200);
    expect(fine.headers['ratelimit-limit']).toBe('5');
  });

  it('counts in Redis, so a second app instance shares the budget', async () => {
    const key = await identity.createApiKey({ tenantSlug, scopes: ['leads:read'], rateLimitPerMinute: 2 });
    const twin = await limitedApp('kit-rl-twin', redis);
    expect((await get(key.key)).statusCode).toBe(200);
    expect((await get(key.key)).statusCode).toBe(200);
    const fromTwin = await getFrom(twin, key.key);
    expect(fromTwin.statusCode).toBe(429);
    await twin.close();
  });

  // The count Redis holds for an API key (one budget across the routes limited globally).
  const countInRedis = async (keyId: string) => Number((await redis.get(`${nameSpace}${keyId}`)) ?? 0);

  it('answers requests far below the limit without waiting for Redis, and adds them to Redis within a moment', async () => {
    const key = await identity.createApiKey({ tenantSlug, scopes: ['leads:read'], rateLimitPerMinute: 1000 });
    for (let i = 0; i < 20; i += 1) {
      const ok = await get(key.key);
      expect(ok.statusCode).toBe(200);
      expect(ok.headers['ratelimit-remaining']).toBe(String(999 - i));
    }
    // Only the first request, which had no count to go on, went to Redis before it was answered.
    expect(await countInRedis(key.id)).toBeLessThan(20);
    await waitFor('the locally counted requests to reach Redis', async () => (await countInRedis(key.id)) >= 20, 5_000);
    expect(await countInRedis(key.id)).toBe(20);
  });

  it('counts every request near the limit in Redis before answering it', async () => {
    const key = await identity.createApiKey({ tenantSlug, scopes: ['leads:read'], rateLimitPerMinute: 10 });
    for (let i = 0; i < 10; i += 1) expect((await get(key.key)).statusCode).toBe(200);
    expect(await countInRedis(key.id)).toBe(10);
    expect((await get(key.key)).statusCode).toBe(429);
  });

  const burst = (from: HttpApp, key: string, n: number) =>
    Promise.all(Array.from({ length: n }, () => getFrom(from, key)));
  const admitted = (responses: Array<{ statusCode: number }>) => responses.filter((r) => r.statusCode === 200).length;

  it('admits exactly the limit from one instance, however concurrent its requests', async () => {
    const key = await identity.createApiKey({ tenantSlug, scopes: ['leads:read'], rateLimitPerMinute: 100 });
    // The first request gives the instance a view to count locally against.
    expect((await get(key.key)).statusCode).toBe(200);
    expect(admitted(await burst(app, key.key, 200))).toBe(99);
    expect(await countInRedis(key.id)).toBeGreaterThanOrEqual(100);
  });

  it('admits at most one lease (5% of the limit) per instance beyond the limit in a concurrent burst across instances', async () => {
    const key = await identity.createApiKey({ tenantSlug, scopes: ['leads:read'], rateLimitPerMinute: 100 });
    // Its own Redis connection, as another process would have: no ordering shared with the first instance.
    const twinRedis = createRedis(testEnv().redisUrl);
    const twin = await limitedApp('kit-rl-burst', twinRedis);
    try {
      expect((await get(key.key)).statusCode).toBe(200);
      expect((await getFrom(twin, key.key)).statusCode).toBe(200);
      const [fromApp, fromTwin] = await Promise.all([burst(app, key.key, 150), burst(twin, key.key, 150)]);
      const total = 2 + admitted(fromApp) + admitted(fromTwin);
      expect(total).toBeGreaterThanOrEqual(100);
      // Each instance may have a lease in flight when the count in Redis crosses the limit.
      expect(total).toBeLessThanOrEqual(110);
    } finally {
      await twin.close();
      await closeRedis(twinRedis);
    }
  });

  it('does not limit public routes or count unauthenticated requests', async () => {
    for (let i = 0; i < 8; i += 1) expect((await app.inject({ method: 'GET', url: '/v1/public' })).statusCode).toBe(200);
    for (let i = 0; i < 8; i += 1) expect((await get('bk_nope')).statusCode).toBe(401);
  });
});
