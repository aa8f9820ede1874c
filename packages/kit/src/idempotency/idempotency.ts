import type { FastifyRequest } from 'fastify';
import { sql, type Kysely, type Transaction } from 'kysely';
import { AppError, errors } from '../errors.js';
import { requirePrincipal } from '../http/auth.js';
import type { Logger } from '../logger.js';
import { startPeriodic, type ShutdownStep } from '../lifecycle.js';
import { requestFingerprint } from './fingerprint.js';

/** The response a route decided on, as stored for replays. */
export type StoredResponse = { status: number; body: unknown };

/** Options of withIdempotency. */
export type IdempotencyOptions = { ttlHours?: number };

export const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';
const MAX_KEY_LENGTH = 255;

/** A request's claim on its Idempotency-Key: whose key, the request it stands for, and how long it is kept. */
export type IdempotencyClaim = { tenantId: string; key: string; fingerprint: string; ttlSeconds: number };

function idempotencyKeyOf(request: FastifyRequest): string | undefined {
  const value = request.headers[IDEMPOTENCY_KEY_HEADER];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_KEY_LENGTH) {
    throw errors.badRequest('invalid_idempotency_key', `Idempotency-Key must be one value of 1 to ${MAX_KEY_LENGTH} characters`);
  }
  return value;
}

/**
 * The request's claim on its Idempotency-Key, or undefined when it sent none. Throws a 400 for a malformed
 * key, before anything runs.
 */
export function idempotencyClaimOf(request: FastifyRequest, opts: IdempotencyOptions = {}): IdempotencyClaim | undefined {
  const key = idempotencyKeyOf(request);
  if (key === undefined) return undefined;
  const ttlHours = opts.ttlHours ?? 24;
  if (!(ttlHours > 0)) throw new AppError('invalid_idempotency_ttl', `ttlHours must be positive, got ${ttlHours}`);
  const fingerprint = requestFingerprint(request.method, request.url, request.body);
  return { tenantId: requirePrincipal(request).tenantId, key, fingerprint, ttlSeconds: ttlHours * 3600 };
}

// The key's advisory lock (idempotency_lock_id, migration 0001) is taken first and held to commit. Whoever
// claims a key in a transaction holds it, so a statement that must not wait (a capture batch) can try the
// lock and step aside instead of queueing behind this transaction on the row.
// Inserting then takes the row lock: a concurrent request with the same key blocks until the first commits
// (then sees its row and replays) or rolls back (then claims the key and runs itself). An expired row
// counts as absent and is taken over in place.
async function claimKey(trx: Kysely<any>, claim: IdempotencyClaim): Promise<boolean> {
  const result = await sql`
    WITH locked AS MATERIALIZED (SELECT pg_advisory_xact_lock(idempotency_lock_id(${claim.tenantId}, ${claim.key})))
    INSERT INTO idempotency_keys (tenant_id, key, fingerprint, expires_at)
    SELECT ${claim.tenantId}, ${claim.key}, ${claim.fingerprint}, now() + ${claim.ttlSeconds}::float8 * interval '1 second'
    FROM locked
    ON CONFLICT (tenant_id, key) DO UPDATE
      SET fingerprint = EXCLUDED.fingerprint, status = NULL, body = NULL, created_at = now(), expires_at = EXCLUDED.expires_at
      WHERE idempotency_keys.expires_at <= now()
    RETURNING 1 AS claimed`.execute(trx);
  return result.rows.length === 1;
}

async function replay(trx: Kysely<any>, claim: IdempotencyClaim): Promise<StoredResponse & { replayed: true }> {
  const { rows } = await sql<{ fingerprint: string; status: number | null; body: unknown }>`
    SELECT fingerprint, status, body FROM idempotency_keys
    WHERE tenant_id = ${claim.tenantId} AND key = ${claim.key} AND expires_at > now()`.execute(trx);
  const row = rows[0];
  // Only reachable if the row vanished or is not committed yet in a way we cannot wait for; a retry settles it.
  if (!row || row.status === null) {
    throw errors.conflict('idempotency_in_progress', 'A request with this Idempotency-Key is in progress; retry shortly');
  }
  if (row.fingerprint !== claim.fingerprint) {
    throw errors.unprocessable(
      'idempotency_key_reused',
      'This Idempotency-Key was already used with a different request; use a new key for a new request',
    );
  }
  return { status: row.status, body: row.body, replayed: true };
}

async function saveResponse(trx: Kysely<any>, claim: IdempotencyClaim, status: number, json: string): Promise<void> {
  await sql`
    UPDATE idempotency_keys SET status = ${status}, body = ${json}::jsonb
    WHERE tenant_id = ${claim.tenantId} AND key = ${claim.key}`.execute(trx);
}

/** Runs `run` in one transaction that also records its response under the request's Idempotency-Key. */
export async function withIdempotency<DB>(
  db: Kysely<DB>,
  request: FastifyRequest,
  run: (trx: Transaction<DB>) => Promise<StoredResponse>,
  opts: IdempotencyOptions = {},
): Promise<StoredResponse & { replayed: boolean }> {
  return withIdempotencyClaim(db, idempotencyClaimOf(request, opts), run);
}

/**
 * withIdempotency for a claim already read off the request: replays the response stored under the key, or
 * runs `run` in one transaction that also stores its response. Without a claim, just runs `run` in a transaction.
 */
export async function withIdempotencyClaim<DB>(
  db: Kysely<DB>,
  claim: IdempotencyClaim | undefined,
  run: (trx: Transaction<DB>) => Promise<StoredResponse>,
): Promise<StoredResponse & { replayed: boolean }> {
  if (claim === undefined) return { ...(await db.transaction().execute(run)), replayed: false };
  return db.transaction().execute(async (trx) => {
    if (!(await claimKey(trx, claim))) return replay(trx, claim);
    const response = await run(trx);
    // Answer what a replay will answer: the body as it survives JSON (dates as strings, no undefined).
    const json = JSON.stringify(response.body ?? null);
    await saveResponse(trx, claim, response.status, json);
    return { status: response.status, body: JSON.parse(json) as unknown, replayed: false };
  });
}

/** Deletes expired keys in batches that skip rows in use; resolves to the number deleted. */
export async function purgeExpiredIdempotencyKeys(db: Kysely<any>, opts: { batchSize?: number; maxBatches?: number } = {}): Promise<number> {
  const batchSize = opts.batchSize ?? 1_000;
  let total = 0;
  for (let batch = 0; batch < (opts.maxBatches ?? 100); batch += 1) {
    const result = await sql`
      DELETE FROM idempotency_keys WHERE (tenant_id, key) IN (
        SELECT tenant_id, key FROM idempotency_keys WHERE expires_at <= now()
        ORDER BY expires_at LIMIT ${batchSize} FOR UPDATE SKIP LOCKED)`.execute(db);
    const deleted = Number(result.numAffectedRows ?? 0n);
    total += deleted;
    if (deleted < batchSize) break;
  }
  return total;
}

/** Purges expired keys every `intervalMs` (default 10 min); returns the shutdown step that stops it. */
export function startIdempotencyPurge(db: Kysely<any>, opts: { intervalMs?: number; logger: Logger }): ShutdownStep {
  return startPeriodic({
    name: 'idempotency-purge',
    intervalMs: opts.intervalMs ?? 600_000,
    task: async () => {
      const deleted = await purgeExpiredIdempotencyKeys(db);
      if (deleted > 0) opts.logger.info({ deleted }, 'expired idempotency keys purged');
    },
    logger: opts.logger,
    failureMessage: 'purging idempotency keys failed',
  });
}
