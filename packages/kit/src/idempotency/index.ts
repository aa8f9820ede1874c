export { idempotencyMigrations } from './idempotency.migration.js';
export {
  IDEMPOTENCY_KEY_HEADER,
  purgeExpiredIdempotencyKeys,
  startIdempotencyPurge,
  withIdempotency,
  type IdempotencyOptions,
  type StoredResponse,
} from './idempotency.js';
export { canonicalJson, requestFingerprint } from './fingerprint.js';
