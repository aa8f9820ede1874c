import { testEnv, uniqueName, waitFor, whileLockHeld } from '@baton/testing';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { sql, type Generated, type Kysely, type Migration } from 'kysely';
import { createDatabase, migrateToLatest, type DatabaseHandle } from '../src/db.js';
import { errors } from '../src/errors.js';
import { registerAuth, requirePrincipal } from '../src/http/auth.js';
import { buildHttpApp, type HttpApp } from '../src/http/index.js';
import { idempotencyMigrations, purgeExpiredIdempotencyKeys, withIdempotency } from '../src/idempotency/index.js';
import { createIdentity, identityMigrations, type Identity } from '../src/identity/index.js';
import { createLogger } from '../src/logger.js';
import { createMetrics } from '../src/metrics.js';
import { dropSchema } from './support.js';

type DB = { effects: { id: Generated<number>; tenant_id: string; payload: string } };
type Body = { delayMs?: number; [field: string]: unknown };

const migrations: Record<string, Migration> = {
  ...idempotencyMigrations,
  '0001_effects': {
    async up(db: Kysely<any>) {
      await sql`CREATE TABLE effects (id serial PRIMARY KEY, tenant_id text NOT NULL, payload jsonb NOT NULL)`.execute(db);
    },
  },
};

describe('withIdempotency', () => {
  const schema = uniqueName('kit_idem');
  let database: DatabaseHandle<DB>;
  let identity: Identity;
  let app: HttpApp;
  let failNextRun = false;
  let keyA: string;
  let tenantA: string;
  let keyB: string;

  async function buildApp() {
    const built = await buildHttpApp({
      name: 'kit-idem-test',
      version: '0.0.0',
      logger: createLogger({ name: 'kit-idem-test', level: 'silent' }),
      readiness: {},
      metrics: createMetrics('kit-idem-test'),
    });
    registerAuth(built, identity);
    const handler = async (request: FastifyRequest, reply: FastifyReply) => {
      const body = (request.body ?? {}) as Body;
      const result = await withIdempotency(database.db, request, async (trx) => {
        const row = await trx
          .insertInto('effects')
          .values({ tenant_id: requirePrincipal(request).tenantId, payload: JSON.stringify(body) })
          .returning('id')
          .executeTakeFirstOrThrow();
        // Keeps the transaction open so concurrent requests really overlap.
        if (body.delayMs) await sleep(body.delayMs);
        if (failNextRun) {
          failNextRun = false;
          throw errors.unavailable('a downstream dependency');
        }
        return { status: 201, body: { id: row.id, at: new Date(0) } };
      });
      if (result.replayed) reply.header('idempotent-replayed', 'true');
      return reply.code(result.status).send(result.body);
    };
    built.post('/v1/things', { config: { scope: 'leads:write' } }, handler);
    built.post('/v1/other-things', { config: { scope: 'leads:write' } }, handler);
    await built.ready();
    return built;
  }

  beforeAll(async () => {
    database = createDatabase({ url: testEnv().databaseUrl, schema, max: 12 });
    await migrateToLatest(database.db, { schema: 'identity', migrations: identityMigrations });
    await migrateToLatest(database.db, { schema, migrations });
    identity = createIdentity({ db: database.db });
    const suffix = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
    tenantA = (await identity.createTenant({ slug: `idem-a-${suffix}` })).id;
    await identity.createTenant({ slug: `idem-b-${suffix}` });
    keyA = (await identity.createApiKey({ tenantSlug: `idem-a-${suffix}`, scopes: ['leads:write'] })).key;
    keyB = (await identity.createApiKey({ tenantSlug: `idem-b-${suffix}`, scopes: ['leads:write'] })).key;
    app = await buildApp();
  });
  afterAll(async () => {
    await app.close();
    await dropSchema(database.db, schema);
    await database.close();
  });

  const post = (key: string | undefined, payload: unknown, opts: { apiKey?: string; url?: string } = {}) =>
    app.inject({
      method: 'POST',
      url: opts.url ?? '/v1/things',
      headers: { authorization: `Bearer ${opts.apiKey ?? keyA}`, ...(key === undefined ? {} : { 'idempotency-key': key }) },
      payload: payload as object,
    });
  const effectsOf = async (marker: string) =>
    Number((await sql<{ n: string }>`SELECT count(*) AS n FROM effects WHERE payload->>'marker' = ${marker}`.execute(database.db)).rows[0]?.n);
  const unique = (label: string) => `${label}-${Math.random().toString(36).slice(2)}`;

  it('replays the stored response for the same key and body, whatever the key order', async () => {
    const key = unique('replay');
    const first = await post(key, { marker: key, a: 1, nested: { x: 1, y: [1, { p: 1, q: 2 }] } });
    const again = await post(key, { nested: { y: [1, { q: 2, p: 1 }], x: 1 }, a: 1, marker: key });
    expect(first.statusCode).toBe(201);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    expect(again.statusCode).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.json()).toEqual(first.json());
    expect(await effectsOf(key)).toBe(1);
  });

  it('answers 422 for the same key with another body or another route', async () => {
    const key = unique('reuse');
    expect((await post(key, { marker: key, a: 1 })).statusCode).toBe(201);
    const otherBody = await post(key, { marker: key, a: 2 });
    expect(otherBody.statusCode).toBe(422);
    expect(otherBody.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(otherBody.json()).toMatchObject({ code: 'idempotency_key_reused' });
    expect((await post(key, { marker: key, a: 1 }, { url: '/v1/other-things' })).statusCode).toBe(422);
    expect(await effectsOf(key)).toBe(1);
  });

  it('runs concurrent requests with one key exactly once; the others wait and replay', async () => {
    const key = unique('race');
    const responses = await Promise.all(Array.from({ length: 8 }, () => post(key, { marker: key, delayMs: 150 })));
    expect(responses.map((response) => response.statusCode)).toEqual(Array(8).fill(201));
    // Compared parsed: jsonb keeps no key order, and JSON gives key order no meaning.
    for (const response of responses) expect(response.json()).toEqual(responses[0]?.json());
    expect(responses.filter((response) => response.headers['idempotent-replayed'] !== 'true')).toHaveLength(1);
    expect(await effectsOf(key)).toBe(1);
  });

  it('claims a key only under its advisory lock, so a statement trying that lock knows the key is in use', async () => {
    // A capture batch claims keys by trying this lock, never waiting on a row another transaction holds.
    const key = unique('locked');
    const lockId = sql<string>`idempotency_lock_id(${tenantA}, ${key})`;
    const waiters = async () =>
      Number((await sql<{ n: string }>`
        SELECT count(*) AS n FROM pg_locks
        WHERE locktype = 'advisory' AND NOT granted AND objsubid = 1
          AND classid::bigint = (${lockId} >> 32) & 4294967295 AND objid::bigint = ${lockId} & 4294967295`.execute(database.db)).rows[0]?.n);
    let settled = false;
    const { pending } = await whileLockHeld(database.db, (trx) => sql`SELECT pg_advisory_xact_lock(${lockId})`.execute(trx), async () => {
      const request = post(key, { marker: key }).finally(() => (settled = true));
      await waitFor('the request to wait for the key lock', async () => (await waiters()) === 1, 5_000);
      expect(settled).toBe(false);
      expect(await effectsOf(key)).toBe(0);
      // The lock comes before the row: another writer of the key is not queued behind the waiting claim
      // (a capture batch that waited there, holding contact locks, could deadlock).
      const rolledBack = new Error('probe rolled back');
      const probe = database.db.transaction().execute(async (trx) => {
        await sql`SET LOCAL lock_timeout = '2s'`.execute(trx);
        await sql`
          INSERT INTO idempotency_keys (tenant_id, key, fingerprint, expires_at) VALUES (${tenantA}, ${key}, 'probe', now())
          ON CONFLICT DO NOTHING`.execute(trx);
        throw rolledBack;
      });
      await expect(probe).rejects.toBe(rolledBack);
      return { pending: request };
    });
    expect((await pending).statusCode).toBe(201);
    expect(await effectsOf(key)).toBe(1);
  });

  it('stores nothing when run throws, so a retry with the same key runs again', async () => {
    const key = unique('throw');
    failNextRun = true;
    expect((await post(key, { marker: key })).statusCode).toBe(503);
    expect(await effectsOf(key)).toBe(0);
    const retry = await post(key, { marker: key });
    expect(retry.statusCode).toBe(201);
    expect(retry.headers['idempotent-replayed']).toBeUndefined();
    expect(await effectsOf(key)).toBe(1);
  });

  it('treats expired keys as absent and purges them', async () => {
    const key = unique('expired');
    expect((await post(key, { marker: key, a: 1 })).statusCode).toBe(201);
    await sql`UPDATE idempotency_keys SET expires_at = now() - interval '1 second' WHERE key = ${key}`.execute(database.db);
    const reused = await post(key, { marker: key, a: 2 });
    expect(reused.statusCode).toBe(201);
    expect(reused.headers['idempotent-replayed']).toBeUndefined();
    expect(await effectsOf(key)).toBe(2);
    await sql`UPDATE idempotency_keys SET expires_at = now() - interval '1 second' WHERE key = ${key}`.execute(database.db);
    expect(await purgeExpiredIdempotencyKeys(database.db, { batchSize: 1 })).toBeGreaterThanOrEqual(1);
    const left = await sql`SELECT 1 FROM idempotency_keys WHERE key = ${key}`.execute(database.db);
    expect(left.rows).toHaveLength(0);
  });

  it('keeps keys for 24 hours by default', async () => {
    const key = unique('ttl');
    await post(key, { marker: key });
    const { rows } = await sql<{ hours: number }>`
      SELECT extract(epoch FROM expires_at - created_at) / 3600 AS hours FROM idempotency_keys WHERE key = ${key}`.execute(database.db);
    expect(Number(rows[0]?.hours)).toBeCloseTo(24, 5);
  });

  it('keeps keys per tenant and runs every request without a key', async () => {
    const key = unique('tenant');
    expect((await post(key, { marker: key })).headers['idempotent-replayed']).toBeUndefined();
    expect((await post(key, { marker: key }, { apiKey: keyB })).headers['idempotent-replayed']).toBeUndefined();
    await post(undefined, { marker: key });
    await post(undefined, { marker: key });
    expect(await effectsOf(key)).toBe(4);
  });

  it.each([['empty', ''], ['too long', 'k'.repeat(256)]])('answers 400 for an %s key', async (_label, key) => {
    const marker = unique('bad');
    const response = await post(key, { marker });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ code: 'invalid_idempotency_key' });
    expect(await effectsOf(marker)).toBe(0);
  });
});
