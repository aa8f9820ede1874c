import { testEnv, uniqueName } from '@baton/testing';
import { sql } from 'kysely';
import { createDatabase, migrateToLatest, type DatabaseHandle } from '../src/db.js';
import { AppError } from '../src/errors.js';
import { createIdentity, identityMigrations } from '../src/identity/index.js';

const slug = (label: string) => `t-${label}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;

describe('identity: tenants and API keys', () => {
  let database: DatabaseHandle<unknown>;

  beforeAll(async () => {
    // A service-like pool pinned to another schema: identity must qualify every name itself.
    database = createDatabase({ url: testEnv().databaseUrl, schema: uniqueName('kit_identity'), max: 4 });
    await migrateToLatest(database.db, { schema: 'identity', migrations: identityMigrations });
  });
  afterAll(() => database.close());

  it('creates a key that authenticates to its tenant and scopes, and stores only a hash', async () => {
    const identity = createIdentity({ db: database.db });
    const tenant = await identity.createTenant({ slug: slug('life'), name: 'Acme', defaultRegion: 'gb' });
    expect(tenant).toMatchObject({ name: 'Acme', defaultRegion: 'GB', settings: {} });
    const created = await identity.createApiKey({ tenantSlug: tenant.slug, scopes: ['leads:write', 'leads:read'], rateLimitPerMinute: 50 });
    expect(created.key).toMatch(/^bk_[a-z0-9]{12}_[A-Za-z0-9_-]{43}$/);
    expect(created.key.startsWith(`${created.prefix}_`)).toBe(true);
    expect(await identity.authenticate(created.key)).toEqual({
      tenantId: tenant.id,
      keyId: created.id,
      scopes: ['leads:write', 'leads:read'],
      rateLimitPerMinute: 50,
    });
    const { rows } = await sql<{ row: string }>`SELECT row_to_json(k)::text AS row FROM identity.api_keys k WHERE id = ${created.id}`.execute(database.db);
    const secret = created.key.slice(created.prefix.length + 1);
    expect(rows[0]?.row).toBeDefined();
    expect(rows[0]?.row).not.toContain(secret);
  });

  it('rejects a revoked key once the cache entry expires, and at once in the revoking process', async () => {
    let time = 1_000_000;
    const now = () => time;
    const revoker = createIdentity({ db: database.db });
    const server = createIdentity({ db: database.db, cacheTtlMs: 5_000, now });
    const tenant = await revoker.createTenant({ slug: slug('revoke') });
    const created = await revoker.createApiKey({ tenantSlug: tenant.slug, scopes: ['leads:read'] });
    expect(await server.authenticate(created.key)).not.toBeNull();
    expect(await revoker.revokeApiKey(created.prefix)).toBe(true);
    expect(await revoker.revokeApiKey(created.id)).toBe(false);
    expect(await revoker.authenticate(created.key)).toBeNull();
    // Within the TTL the other process still answers from its cache: that is the documented trade-off.
    time += 4_000;
    expect(await server.authenticate(created.key)).not.toBeNull();
    time += 1_001;
    expect(await server.authenticate(created.key)).toBeNull();
  });

  it('rejects a wrong secret for a known key id, malformed keys and unknown ids', async () => {
    const identity = createIdentity({ db: database.db });
    const tenant = await identity.createTenant({ slug: slug('wrong') });
    const created = await identity.createApiKey({ tenantSlug: tenant.slug, scopes: ['admin'] });
    const forged = `${created.prefix}_${'A'.repeat(43)}`;
    expect(await identity.authenticate(forged)).toBeNull();
    expect(await identity.authenticate(created.key.slice(0, -1))).toBeNull();
    expect(await identity.authenticate(`${created.key}x`)).toBeNull();
    expect(await identity.authenticate('')).toBeNull();
    expect(await identity.authenticate(`bk_zzzzzzzzzzzz_${'B'.repeat(43)}`)).toBeNull();
    // The genuine key still works after the failed attempts were cached.
    expect(await identity.authenticate(created.key)).not.toBeNull();
  });

  it('gives each key its own tenant', async () => {
    const identity = createIdentity({ db: database.db });
    const [a, b] = await Promise.all([identity.createTenant({ slug: slug('iso-a') }), identity.createTenant({ slug: slug('iso-b') })]);
    const keyA = await identity.createApiKey({ tenantSlug: a.slug, scopes: ['leads:read'] });
    const keyB = await identity.createApiKey({ tenantSlug: b.slug, scopes: ['leads:read'] });
    expect((await identity.authenticate(keyA.key))?.tenantId).toBe(a.id);
    expect((await identity.authenticate(keyB.key))?.tenantId).toBe(b.id);
    expect(await identity.getTenant(a.id)).toEqual(a);
    expect(await identity.getTenant('not-a-uuid')).toBeNull();
    expect(await identity.getTenant('00000000-0000-4000-8000-000000000000')).toBeNull();
  });

  it('validates tenants and keys with AppErrors', async () => {
    const identity = createIdentity({ db: database.db });
    const tenant = await identity.createTenant({ slug: slug('valid'), settings: { duplicateWindowDays: 7, requiredFields: ['timezone'] } });
    expect(tenant.settings).toEqual({ duplicateWindowDays: 7, requiredFields: ['timezone'] });
    await expect(identity.createTenant({ slug: tenant.slug })).rejects.toMatchObject({ code: 'tenant_exists', status: 409 });
    await expect(identity.createTenant({ slug: 'Bad Slug' })).rejects.toMatchObject({ status: 400 });
    await expect(identity.createTenant({ slug: slug('region'), defaultRegion: 'USA' })).rejects.toBeInstanceOf(AppError);
    await expect(identity.createApiKey({ tenantSlug: tenant.slug, scopes: [] })).rejects.toMatchObject({ status: 400 });
    await expect(identity.createApiKey({ tenantSlug: tenant.slug, scopes: ['nope' as 'admin'] })).rejects.toMatchObject({ status: 400 });
    await expect(identity.createApiKey({ tenantSlug: slug('missing'), scopes: ['admin'] })).rejects.toMatchObject({ status: 404 });
  });

  it('lists keys by tenant with prefixes, never the key, and revocation shows', async () => {
    const identity = createIdentity({ db: database.db });
    const tenant = await identity.createTenant({ slug: slug('list') });
    const first = await identity.createApiKey({ tenantSlug: tenant.slug, scopes: ['funnel:read'], name: 'dashboard' });
    const second = await identity.createApiKey({ tenantSlug: tenant.slug, scopes: ['leads:write'] });
    await identity.revokeApiKey(second.id);
    const listed = await identity.listApiKeys({ tenantSlug: tenant.slug });
    expect(listed.map((key) => [key.id, key.prefix, key.name, key.scopes, key.revokedAt === null])).toEqual([
      [first.id, first.prefix, 'dashboard', ['funnel:read'], true],
      [second.id, second.prefix, null, ['leads:write'], false],
    ]);
    expect(JSON.stringify(listed)).not.toContain(first.key.slice(-43));
    expect((await identity.listTenants()).map((t) => t.slug)).toContain(tenant.slug);
  });
});
