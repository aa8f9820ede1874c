export { idempotencyMigrations } from './idempotency.migration.js';
export {
  idempotencyClaimOf,
  purgeExpiredIdempotencyKeys,
  startIdempotencyPurge,
  withIdempotency,
  withIdempotencyClaim,
  type IdempotencyClaim,
  type IdempotencyOptions,
  type StoredResponse,
} from './idempotency.js';
export { canonicalJson, requestFingerprint } from './fingerprint.js';
