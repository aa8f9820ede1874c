import { testEnv, uniqueName } from '@baton/testing';
import { buildHttpApp, type HttpApp } from '../src/http/index.js';
import { registerAuth, requirePrincipal } from '../src/http/auth.js';
import { createDatabase, migrateToLatest, type DatabaseHandle } from '../src/db.js';
import { createIdentity, identityMigrations, type Identity, type Scope } from '../src/identity/index.js';
import { createLogger } from '../src/logger.js';
import { createMetrics } from '../src/metrics.js';
import { memoryDestination } from './support.js';

const slug = (label: string) => `auth-${label}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

describe('registerAuth', () => {
  let database: DatabaseHandle<unknown>;
  let identity: Identity;
  let app: HttpApp;
  const logs = memoryDestination();

  beforeAll(async () => {
    database = createDatabase({ url: testEnv().databaseUrl, schema: uniqueName('kit_auth'), max: 4 });
    await migrateToLatest(database.db, { schema: 'identity', migrations: identityMigrations });
    // TTL 0: every request asks Postgres, so a revocation is visible to the very next request.
    identity = createIdentity({ db: database.db, cacheTtlMs: 0 });
    app = await buildHttpApp({
      name: 'kit-auth-test',
      version: '0.0.0',
      logger: createLogger({ name: 'kit-auth-test', level: 'debug', destination: logs.stream }),
      readiness: {},
      metrics: createMetrics('kit-auth-test'),
    });
    registerAuth(app, identity);
    app.get('/v1/leads', { config: { scope: 'leads:read' } }, async (request) => ({ tenantId: requirePrincipal(request).tenantId }));
    app.post('/v1/leads', { config: { scope: 'leads:write' } }, async (request) => ({ keyId: requirePrincipal(request).keyId }));
    app.get('/v1/public', async (request) => ({ principal: request.principal ?? null }));
    app.get('/v1/handler-only', async (request) => requirePrincipal(request));
    await app.ready();
  });
  afterAll(async () => {
    await app.close();
    await database.close();
  });

  async function keyFor(scopes: Scope[], tenantSlug?: string) {
    const tenant = tenantSlug ?? (await identity.createTenant({ slug: slug('t') })).slug;
    return identity.createApiKey({ tenantSlug: tenant, scopes });
  }

  it.each([
    ['no header', {}],
    ['another scheme', { authorization: 'Basic dXNlcjpwYXNz' }],
    ['a malformed key', bearer('not-a-key')],
    ['an unknown key', bearer(`bk_000000000000_${'x'.repeat(43)}`)],
  ])('answers 401 problem+json with WWW-Authenticate for %s', async (_label, headers) => {
    const response = await app.inject({ method: 'GET', url: '/v1/leads', headers });
    expect(response.statusCode).toBe(401);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.headers['www-authenticate']).toBe('Bearer');
    expect(response.json()).toMatchObject({ status: 401, code: 'unauthorized' });
  });

  it('answers 403 naming the scope when the key lacks it, 200 when it has it', async () => {
    const reader = await keyFor(['leads:read']);
    const denied = await app.inject({ method: 'POST', url: '/v1/leads', headers: bearer(reader.key), payload: {} });
    expect(denied.statusCode).toBe(403);
    expect(denied.json()).toMatchObject({ code: 'forbidden', requiredScope: 'leads:write' });
    expect(denied.json().detail).toContain('leads:write');
    const allowed = await app.inject({ method: 'GET', url: '/v1/leads', headers: bearer(reader.key) });
    expect(allowed.statusCode).toBe(200);
  });

  it("lets 'admin' act with every scope", async () => {
    const admin = await keyFor(['admin']);
    for (const method of ['GET', 'POST'] as const) {
      const response = await app.inject({ method, url: '/v1/leads', headers: bearer(admin.key), ...(method === 'POST' ? { payload: {} } : {}) });
      expect(response.statusCode).toBe(200);
    }
  });

  it('rejects a key right after it is revoked', async () => {
    const key = await keyFor(['leads:read']);
    expect((await app.inject({ method: 'GET', url: '/v1/leads', headers: bearer(key.key) })).statusCode).toBe(200);
    await identity.revokeApiKey(key.id);
    expect((await app.inject({ method: 'GET', url: '/v1/leads', headers: bearer(key.key) })).statusCode).toBe(401);
  });

  it("scopes each request to its key's tenant", async () => {
    const a = await identity.createTenant({ slug: slug('a') });
    const b = await identity.createTenant({ slug: slug('b') });
    const [keyA, keyB] = await Promise.all([keyFor(['leads:read'], a.slug), keyFor(['leads:read'], b.slug)]);
    const [asA, asB] = await Promise.all([
      app.inject({ method: 'GET', url: '/v1/leads', headers: bearer(keyA.key) }),
      app.inject({ method: 'GET', url: '/v1/leads', headers: bearer(keyB.key) }),
    ]);
    expect(asA.json()).toEqual({ tenantId: a.id });
    expect(asB.json()).toEqual({ tenantId: b.id });
  });

  it('leaves routes without a scope public and never logs the key', async () => {
    const key = await keyFor(['leads:read']);
    const open = await app.inject({ method: 'GET', url: '/v1/public', headers: bearer(key.key) });
    expect(open.json()).toEqual({ principal: null });
    expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/v1/handler-only' })).statusCode).toBe(401);
    expect(logs.text()).not.toContain(key.key.slice(-43));
  });
});
