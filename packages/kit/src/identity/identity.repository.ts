import type { ColumnType, Generated, Kysely } from 'kysely';
import { isScope, type ApiKeyInfo, type Principal, type Scope, type Tenant, type TenantSettings } from './types.js';

type TenantsTable = {
  id: Generated<string>;
  slug: string;
  name: string;
  default_region: string;
  settings: ColumnType<TenantSettings, string, string>;
  created_at: Generated<Date>;
};

type ApiKeysTable = {
  id: string;
  tenant_id: string;
  name: string | null;
  scopes: string[];
  secret_hash: Buffer;
  rate_limit_per_minute: number | null;
  created_at: Generated<Date>;
  revoked_at: Date | null;
  last_used_at: Date | null;
};

/** The identity tables, named with their schema because the caller's search_path is another schema. */
export type IdentityDatabase = { 'identity.tenants': TenantsTable; 'identity.api_keys': ApiKeysTable };

type IdentityDb = Kysely<IdentityDatabase>;

/** An active key as authenticate needs it: the principal plus the hash to check the secret against. */
export type StoredKey = { principal: Principal; secretHash: Buffer };

const knownScopes = (scopes: string[]): Scope[] => scopes.filter(isScope);

function toTenant(row: { id: string; slug: string; name: string; default_region: string; settings: TenantSettings }): Tenant {
  return { id: row.id, slug: row.slug, name: row.name, defaultRegion: row.default_region, settings: row.settings ?? {} };
}

const tenantColumns = ['id', 'slug', 'name', 'default_region', 'settings', 'created_at'] as const;

/** The active (not revoked) key with this id, or null. */
export async function findActiveKey(db: IdentityDb, id: string): Promise<StoredKey | null> {
  const row = await db
    .selectFrom('identity.api_keys')
    .select(['id', 'tenant_id', 'scopes', 'secret_hash', 'rate_limit_per_minute'])
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  if (!row) return null;
  const principal: Principal = {
    tenantId: row.tenant_id,
    keyId: row.id,
    scopes: Object.freeze(knownScopes(row.scopes)),
    rateLimitPerMinute: row.rate_limit_per_minute,
  };
  return { principal, secretHash: row.secret_hash };
}

/** The tenant with this id or slug, or null. */
export async function findTenant(db: IdentityDb, by: { id: string } | { slug: string }): Promise<Tenant | null> {
  let query = db.selectFrom('identity.tenants').select(tenantColumns);
  query = 'id' in by ? query.where('id', '=', by.id) : query.where('slug', '=', by.slug);
  const row = await query.executeTakeFirst();
  return row ? toTenant(row) : null;
}

/** Inserts a tenant; the unique slug index rejects a taken slug (23505). */
export async function insertTenant(db: IdentityDb, tenant: Omit<Tenant, 'id'>): Promise<Tenant> {
  const row = await db
    .insertInto('identity.tenants')
    .values({ slug: tenant.slug, name: tenant.name, default_region: tenant.defaultRegion, settings: JSON.stringify(tenant.settings) })
    .returning(tenantColumns)
    .executeTakeFirstOrThrow();
  return toTenant(row);
}

/** Every tenant, oldest first. */
export async function selectTenants(db: IdentityDb): Promise<Array<Tenant & { createdAt: Date }>> {
  const rows = await db.selectFrom('identity.tenants').select(tenantColumns).orderBy('created_at').orderBy('slug').execute();
  return rows.map((row) => ({ ...toTenant(row), createdAt: row.created_at }));
}

/** Inserts a key row; the secret itself never reaches the database, only its hash. */
export async function insertApiKey(
  db: IdentityDb,
  key: { id: string; tenantId: string; name: string | null; scopes: Scope[]; secretHash: Buffer; rateLimitPerMinute: number | null },
): Promise<void> {
  await db
    .insertInto('identity.api_keys')
    .values({
      id: key.id,
      tenant_id: key.tenantId,
      name: key.name,
      scopes: key.scopes,
      secret_hash: key.secretHash,
      rate_limit_per_minute: key.rateLimitPerMinute,
      revoked_at: null,
      last_used_at: null,
    })
    .execute();
}

/** Keys with their tenant's slug, oldest first; optionally of one tenant. */
export async function selectApiKeys(db: IdentityDb, tenantSlug?: string): Promise<ApiKeyInfo[]> {
  let query = db
    .selectFrom('identity.api_keys as k')
    .innerJoin('identity.tenants as t', 't.id', 'k.tenant_id')
    .select(['k.id', 't.slug', 'k.name', 'k.scopes', 'k.created_at', 'k.revoked_at', 'k.last_used_at'])
    .orderBy('k.created_at')
    .orderBy('k.id');
  if (tenantSlug !== undefined) query = query.where('t.slug', '=', tenantSlug);
  const rows = await query.execute();
  return rows.map((row) => ({
    id: row.id,
    tenantSlug: row.slug,
    prefix: `bk_${row.id}`,
    name: row.name,
    scopes: knownScopes(row.scopes),
    createdAt: row.created_at,
    revokedAt: row.revoked_at,
    lastUsedAt: row.last_used_at,
  }));
}

/** Marks an active key revoked; false when there is no such active key. */
export async function markKeyRevoked(db: IdentityDb, id: string): Promise<boolean> {
  const result = await db
    .updateTable('identity.api_keys')
    .set({ revoked_at: new Date() })
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** Records that a key was used; callers throttle this so it is not a write per request. */
export async function touchKey(db: IdentityDb, id: string): Promise<void> {
  await db.updateTable('identity.api_keys').set({ last_used_at: new Date() }).where('id', '=', id).execute();
}
