import { withOutboxSignal } from '@baton/kafka';
import pg from 'pg';
import { Kysely, Migrator, PostgresDialect, sql, type Migration } from 'kysely';
import type { Logger } from './logger.js';

const SCHEMA_NAME = /^[a-z_][a-z0-9_]*$/;

// The schema name ends up in a connection option and in DDL, where it cannot be a bound parameter.
function assertSchemaName(schema: string): void {
  if (!SCHEMA_NAME.test(schema)) {
    throw new Error(`Invalid Postgres schema name "${schema}": expected ${SCHEMA_NAME.source}`);
  }
}

/** A service's database handle: kysely on top of a pg pool pinned to one schema. */
export type DatabaseHandle<DB> = { db: Kysely<DB>; pool: pg.Pool; close(): Promise<void> };

/** Opens a pool whose every connection has `search_path = <schema>`, so service SQL names tables unqualified. */
export function createDatabase<DB>(opts: { url: string; schema: string; max?: number; logger?: Logger }): DatabaseHandle<DB> {
  assertSchemaName(opts.schema);
  const pool = new pg.Pool({
    connectionString: opts.url,
    max: opts.max ?? 10,
    // Set at connection start-up, so no query can ever run on a connection with another search_path.
    options: `-c search_path=${opts.schema}`,
    application_name: `baton-${opts.schema}`,
  });
  // Without a listener, an idle client losing its connection emits 'error' and crashes the process.
  pool.on('error', (err) => opts.logger?.error({ err }, 'idle postgres connection failed'));
  // Commits that wrote outbox rows wake this process's relay for the schema (see @baton/kafka signal.ts).
  const db = new Kysely<DB>({ dialect: withOutboxSignal(new PostgresDialect({ pool }), opts.schema) });
  let closing: Promise<void> | undefined;
  // Idempotent: shutdown paths and tests may both close; pg throws on a second pool.end().
  const close = () => (closing ??= db.destroy());
  return { db, pool, close };
}

// First key of the two-int advisory lock: keeps our migration locks apart from any other use of advisory locks.
const MIGRATION_LOCK_NAMESPACE = 0x6261746f; // 'bato'

/** Creates the schema if needed and runs every pending migration; throws naming the migration that failed. */
export async function migrateToLatest(
  db: Kysely<any>,
  opts: { schema: string; migrations: Record<string, Migration>; logger?: Logger },
): Promise<void> {
  assertSchemaName(opts.schema);
  // Several services (and parallel test files) migrate the shared `identity` schema at once; CREATE SCHEMA
  // and the migrator's own CREATE TABLE IF NOT EXISTS race, so one session per schema at a time does it.
  // A session lock needs one connection throughout, so the migrator runs on that same connection.
  await db.connection().execute(async (connection) => {
    await sql`SELECT pg_advisory_lock(${MIGRATION_LOCK_NAMESPACE}, hashtext(${opts.schema}))`.execute(connection);
    try {
      await runMigrationsRetryingDrops(connection, opts);
    } finally {
      await sql`SELECT pg_advisory_unlock(${MIGRATION_LOCK_NAMESPACE}, hashtext(${opts.schema}))`.execute(connection);
    }
  });
}

/*
 * kysely's migrator looks for its own tables by listing every table of the database, and that catalog query
 * fails with invalid_schema_name (3F000) when another session drops some other schema at that moment (test
 * files and benches drop theirs). Nothing ran yet when that happens, so the set-up is simply tried again.
 */
async function runMigrationsRetryingDrops(db: Kysely<any>, opts: { schema: string; migrations: Record<string, Migration>; logger?: Logger }): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await runMigrations(db, opts);
    } catch (error) {
      const cause = (error as { cause?: { code?: unknown } }).cause;
      const otherSchemaDropped = cause?.code === '3F000' && !String((cause as { message?: unknown }).message).includes(`"${opts.schema}"`);
      if (!otherSchemaDropped || attempt >= 5) throw error;
      opts.logger?.warn({ schema: opts.schema, attempt }, 'another schema was dropped during migration set-up; retrying');
    }
  }
}

async function runMigrations(
  db: Kysely<any>,
  opts: { schema: string; migrations: Record<string, Migration>; logger?: Logger },
): Promise<void> {
  // Safe only under the advisory lock: concurrent CREATE SCHEMA IF NOT EXISTS fails with unique_violation.
  await sql`CREATE SCHEMA IF NOT EXISTS ${sql.id(opts.schema)}`.execute(db);
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => opts.migrations },
    migrationTableSchema: opts.schema,
    // A service's migrations merge sets from several packages (messaging, idempotency, its own), each
    // numbered on its own, so a package's new migration may sort before one of the service's applied ones.
    allowUnorderedMigrations: true,
  });
  const { error, results = [] } = await migrator.migrateToLatest();
  for (const result of results) {
    if (result.status === 'Success') opts.logger?.info({ migration: result.migrationName }, 'migration applied');
  }
  if (error === undefined) return;
  const failed = results.find((result) => result.status === 'Error')?.migrationName ?? '(migrator set-up)';
  const reason = error instanceof Error ? error.message : String(error);
  throw new Error(`Migration ${failed} failed in schema ${opts.schema}: ${reason}`, { cause: error });
}
