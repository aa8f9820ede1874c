import { sql, type Kysely, type Migration } from 'kysely';

/*
 * Frozen in time: the idempotency keys a service keeps in its own schema (names unqualified, the
 * service's search_path decides). A change here is a new migration, never an edit of this one.
 */
export const idempotencyMigration0000: Migration = {
  async up(db: Kysely<any>) {
    // status and body are null only inside the transaction that claimed the key; committed rows have both.
    await sql`
      CREATE TABLE idempotency_keys (
        tenant_id    text NOT NULL,
        key          text NOT NULL,
        fingerprint  text NOT NULL,
        status       integer,
        body         jsonb,
        created_at   timestamptz NOT NULL DEFAULT now(),
        expires_at   timestamptz NOT NULL,
        PRIMARY KEY (tenant_id, key)
      )`.execute(db);
    // The purge scans by expiry; without this index it would read the whole table every run.
    await sql`CREATE INDEX idempotency_keys_expires_idx ON idempotency_keys (expires_at)`.execute(db);
  },
  async down(db: Kysely<any>) {
    await sql`DROP TABLE idempotency_keys`.execute(db);
  },
};

/*
 * Frozen in time: the one definition of a key's advisory lock, so every statement that claims keys
 * (withIdempotency, and statements of a service's own that claim keys in bulk) takes the same lock.
 * Advisory locks are database-wide: the schema is part of the id, so services sharing a database do not
 * hold up each other's keys.
 */
export const idempotencyMigration0001: Migration = {
  async up(db: Kysely<any>) {
    await sql`
      CREATE FUNCTION idempotency_lock_id(p_tenant_id text, p_key text) RETURNS bigint
      LANGUAGE sql STABLE PARALLEL SAFE
      AS $$ SELECT hashtextextended('idempotency:' || current_schema() || ':' || p_tenant_id || ':' || p_key, 0) $$`.execute(db);
  },
  async down(db: Kysely<any>) {
    await sql`DROP FUNCTION idempotency_lock_id(text, text)`.execute(db);
  },
};

/** Migrations a service merges into its own so it gets the idempotency_keys table. */
export const idempotencyMigrations: Record<string, Migration> = {
  '0000_idempotency_keys': idempotencyMigration0000,
  '0001_idempotency_lock_id': idempotencyMigration0001,
};
