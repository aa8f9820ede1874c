import { createDatabase, createIdentity, identityMigrations, migrateToLatest } from '@baton/kit';
import type { CliContext } from './command.js';

const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/baton';

/** Opens Postgres (DATABASE_URL), brings the identity schema up to date and returns the context plus its closer. */
export async function openCliContext(): Promise<{ ctx: CliContext; close: () => Promise<void> }> {
  const database = createDatabase({ url: process.env['DATABASE_URL'] || DEFAULT_DATABASE_URL, schema: 'identity', max: 2 });
  try {
    await migrateToLatest(database.db, { schema: 'identity', migrations: identityMigrations });
  } catch (error) {
    await database.close();
    throw error;
  }
  const ctx: CliContext = {
    // No cache: an operator expects to see the state they just changed.
    identity: createIdentity({ db: database.db, cacheTtlMs: 0 }),
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
  };
  return { ctx, close: database.close };
}
