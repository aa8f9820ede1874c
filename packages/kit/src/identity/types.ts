/** Every scope an API key can carry; 'admin' implies all the others. */
export const SCOPES = ['leads:write', 'leads:read', 'routing:admin', 'routing:act', 'funnel:read', 'admin'] as const;

/** One permission of an API key. */
export type Scope = (typeof SCOPES)[number];

/** Per-tenant capture rules; absent fields fall back to the service's defaults. */
export type TenantSettings = {
  requiredFields?: string[];
  requiredByEntryPath?: Partial<Record<string, string[]>>;
  duplicateWindowDays?: number;
};

/** A customer of Baton; every row of every service belongs to one. */
export type Tenant = {
  id: string;
  slug: string;
  name: string;
  /** ISO 3166-1 alpha-2 region for parsing national phone numbers; 'US' unless set. */
  defaultRegion: string;
  settings: TenantSettings;
};

/** Who is calling: the tenant and key behind a request's API key. */
export type Principal = {
  tenantId: string;
  keyId: string;
  scopes: readonly Scope[];
  rateLimitPerMinute: number | null;
};

/** An API key as listed to operators: never the key itself, only its prefix. */
export type ApiKeyInfo = {
  id: string;
  tenantSlug: string;
  prefix: string;
  name: string | null;
  scopes: Scope[];
  createdAt: Date;
  revokedAt: Date | null;
  lastUsedAt?: Date | null;
};

/** Tenants and API keys, shared by every service (Postgres schema `identity`). */
export type Identity = {
  /** The key's principal; null if unknown, revoked or malformed. Cached per process for cacheTtlMs. */
  authenticate(rawKey: string): Promise<Principal | null>;
  /** The tenant, cached like authenticate. */
  getTenant(tenantId: string): Promise<Tenant | null>;
  /** Creates a tenant; a taken slug is an AppError conflict. */
  createTenant(input: { slug: string; name?: string; defaultRegion?: string; settings?: TenantSettings }): Promise<Tenant>;
  /** Lists tenants, oldest first. */
  listTenants(): Promise<Array<Tenant & { createdAt: Date }>>;
  /** Creates an API key; the returned `key` is the only time it is ever shown. */
  createApiKey(input: {
    tenantSlug: string;
    scopes: Scope[];
    name?: string;
    rateLimitPerMinute?: number;
  }): Promise<{ id: string; key: string; prefix: string }>;
  /** Lists keys (prefixes only), optionally of one tenant. */
  listApiKeys(filter?: { tenantSlug?: string }): Promise<ApiKeyInfo[]>;
  /** Revokes a key; false if no such active key. Other processes notice within cacheTtlMs. */
  revokeApiKey(id: string): Promise<boolean>;
};

/** Tells a known scope from any other string. */
export function isScope(value: string): value is Scope {
  return (SCOPES as readonly string[]).includes(value);
}

/** Whether a principal may act with `scope`; 'admin' implies every scope. */
export function hasScope(principal: Principal, scope: Scope): boolean {
  return principal.scopes.includes(scope) || principal.scopes.includes('admin');
}
