import type { Kysely } from 'kysely';
import { z } from 'zod';
import { errors } from '../errors.js';
import type { Logger } from '../logger.js';
import { mintKey, parseKey, secretMatches } from './api-key.js';
import * as repo from './identity.repository.js';
import { TtlCache } from './ttl-cache.js';
import { SCOPES, type Identity, type Principal, type Scope, type Tenant, type TenantSettings } from './types.js';

const SLUG = /^[a-z0-9][a-z0-9-]{1,62}$/;
const REGION = /^[A-Z]{2}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const TOUCH_INTERVAL_MS = 60_000;

const settingsSchema = z.strictObject({
  requiredFields: z.array(z.string().min(1)).optional(),
  requiredByEntryPath: z.record(z.string(), z.array(z.string().min(1))).optional(),
  duplicateWindowDays: z.number().int().positive().max(3650).optional(),
});

const keyInputSchema = z.object({
  scopes: z.array(z.enum(SCOPES)).min(1, 'at least one scope is required'),
  name: z.string().trim().min(1).max(200).optional(),
  rateLimitPerMinute: z.number().int().positive().max(1_000_000).optional(),
});

/** Options of createIdentity; `now` is injectable so tests can step past the cache TTL. */
export type IdentityOptions = { db: Kysely<any>; cacheTtlMs?: number; now?: () => number; logger?: Logger };

function invalid(message: string): never {
  throw errors.badRequest('invalid_input', message);
}

function tenantInput(input: Parameters<Identity['createTenant']>[0]): Omit<Tenant, 'id'> {
  if (!SLUG.test(input.slug)) invalid(`Tenant slug must match ${SLUG.source}`);
  const defaultRegion = (input.defaultRegion ?? 'US').toUpperCase();
  if (!REGION.test(defaultRegion)) invalid('Default region must be an ISO 3166-1 alpha-2 code such as US');
  const settings = settingsSchema.safeParse(input.settings ?? {});
  if (!settings.success) invalid(`Invalid tenant settings: ${z.prettifyError(settings.error)}`);
  const name = input.name?.trim() || input.slug;
  return { slug: input.slug, name, defaultRegion, settings: settings.data as TenantSettings };
}

function isUniqueViolation(error: unknown): boolean {
  return (error as { code?: string } | null)?.code === '23505';
}

type Context = {
  db: Kysely<repo.IdentityDatabase>;
  keys: TtlCache<repo.StoredKey | null>;
  tenants: TtlCache<Tenant | null>;
  touch: (keyId: string) => void;
};

// last_used_at is for operators spotting dead keys: at most one write per key and minute, off the request path.
function keyToucher(db: Context['db'], now: () => number, logger: Logger | undefined): (keyId: string) => void {
  const touchedAt = new Map<string, number>();
  return (keyId) => {
    const time = now();
    if (time - (touchedAt.get(keyId) ?? -Infinity) < TOUCH_INTERVAL_MS) return;
    touchedAt.set(keyId, time);
    // A failed bookkeeping write must not fail the caller's request.
    repo.touchKey(db, keyId).catch((err: unknown) => logger?.warn({ err, keyId }, 'recording key use failed'));
  };
}

async function authenticate(ctx: Context, rawKey: string): Promise<Principal | null> {
  const parsed = parseKey(rawKey);
  if (!parsed) return null;
  // Cached by key id, not by key: the secret is checked on every call, so a wrong one never rides a cache hit.
  const stored = await ctx.keys.get(parsed.id, () => repo.findActiveKey(ctx.db, parsed.id));
  if (!stored || !secretMatches(parsed.secret, stored.secretHash)) return null;
  ctx.touch(stored.principal.keyId);
  return stored.principal;
}

async function createTenant(ctx: Context, input: Parameters<Identity['createTenant']>[0]): Promise<Tenant> {
  try {
    return await repo.insertTenant(ctx.db, tenantInput(input));
  } catch (error) {
    if (isUniqueViolation(error)) throw errors.conflict('tenant_exists', `A tenant with slug ${input.slug} already exists`);
    throw error;
  }
}

async function createApiKey(ctx: Context, input: Parameters<Identity['createApiKey']>[0]) {
  const parsed = keyInputSchema.safeParse(input);
  if (!parsed.success) invalid(`Invalid API key: ${z.prettifyError(parsed.error)}`);
  const tenant = await repo.findTenant(ctx.db, { slug: input.tenantSlug });
  if (!tenant) throw errors.notFound(`Tenant ${input.tenantSlug}`);
  const minted = mintKey();
  const scopes: Scope[] = [...new Set(parsed.data.scopes)];
  await repo.insertApiKey(ctx.db, {
    id: minted.id,
    tenantId: tenant.id,
    name: parsed.data.name ?? null,
    scopes,
    secretHash: minted.secretHash,
    rateLimitPerMinute: parsed.data.rateLimitPerMinute ?? null,
  });
  // This id may have been cached as unknown (someone guessing); the new key must work at once.
  ctx.keys.delete(minted.id);
  return { id: minted.id, key: minted.key, prefix: minted.prefix };
}

async function revokeApiKey(ctx: Context, id: string): Promise<boolean> {
  // Operators copy the prefix from listings; accept it as well as the bare id.
  const keyId = id.startsWith('bk_') ? id.slice(3) : id;
  const revoked = await repo.markKeyRevoked(ctx.db, keyId);
  ctx.keys.delete(keyId);
  return revoked;
}

/** Tenants and API keys over the shared `identity` schema, with a short per-process cache on the hot path. */
export function createIdentity(opts: IdentityOptions): Identity {
  const db = opts.db as Kysely<repo.IdentityDatabase>;
  const now = opts.now ?? Date.now;
  const ttlMs = opts.cacheTtlMs ?? 5_000;
  const ctx: Context = {
    db,
    keys: new TtlCache(ttlMs, now),
    tenants: new TtlCache(ttlMs, now),
    touch: keyToucher(db, now, opts.logger),
  };
  return {
    authenticate: (rawKey) => authenticate(ctx, rawKey),
    // A malformed id would make Postgres raise on the uuid cast; it simply names no tenant.
    getTenant: async (tenantId) => (UUID.test(tenantId) ? ctx.tenants.get(tenantId, () => repo.findTenant(db, { id: tenantId })) : null),
    createTenant: (input) => createTenant(ctx, input),
    listTenants: () => repo.selectTenants(db),
    createApiKey: (input) => createApiKey(ctx, input),
    listApiKeys: (filter = {}) => repo.selectApiKeys(db, filter.tenantSlug),
    revokeApiKey: (id) => revokeApiKey(ctx, id),
  };
}
