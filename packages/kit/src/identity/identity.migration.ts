import { sql, type Kysely, type Migration } from 'kysely';

/*
 * Frozen in time: tenants and API keys, shared by every service. Each service runs these against its
 * own pool, whose search_path is the service's schema, so every name here is qualified with `identity`.
 * A change here is a new migration, never an edit of this one.
 */
export const identityMigration0000: Migration = {
  async up(db: Kysely<any>) {
    await sql`
      CREATE TABLE identity.tenants (
        id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        slug            text NOT NULL UNIQUE,
        name            text NOT NULL,
        default_region  text NOT NULL DEFAULT 'US',
        settings        jsonb NOT NULL DEFAULT '{}'::jsonb,
        created_at      timestamptz NOT NULL DEFAULT now()
      )`.execute(db);
    // id is the public part of the key; only a hash of the secret part is kept.
    await sql`
      CREATE TABLE identity.api_keys (
        id                     text PRIMARY KEY,
        tenant_id              uuid NOT NULL REFERENCES identity.tenants (id),
        name                   text,
        scopes                 text[] NOT NULL,
        secret_hash            bytea NOT NULL,
        rate_limit_per_minute  integer CHECK (rate_limit_per_minute > 0),
        created_at             timestamptz NOT NULL DEFAULT now(),
        revoked_at             timestamptz,
        last_used_at           timestamptz
      )`.execute(db);
    await sql`CREATE INDEX api_keys_tenant_idx ON identity.api_keys (tenant_id)`.execute(db);
  },
  async down(db: Kysely<any>) {
    await sql`DROP TABLE identity.api_keys`.execute(db);
    await sql`DROP TABLE identity.tenants`.execute(db);
  },
};

/** Migrations of the shared `identity` schema; run with migrateToLatest({ schema: 'identity' }). */
export const identityMigrations: Record<string, Migration> = {
  '0000_identity_tenants_api_keys': identityMigration0000,
};
