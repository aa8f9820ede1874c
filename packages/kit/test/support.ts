import { Writable } from 'node:stream';
import { sql, type Kysely } from 'kysely';

/** A variable the jest globalSetup provides (or the developer sets); fails loudly when absent. */
export function testEnv(name: 'BATON_TEST_DATABASE_URL' | 'BATON_TEST_REDIS_URL'): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set; run jest with the Baton globalSetup or set it by hand`);
  return value;
}

/** A Postgres schema name no other test file (or run) will use. */
export function uniqueSchema(prefix: string): string {
  const suffix = `${process.pid}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
  return `${prefix}_${suffix}`.toLowerCase();
}

/** Drops a test schema and everything in it. */
export async function dropSchema(db: Kysely<any>, schema: string): Promise<void> {
  await sql`DROP SCHEMA IF EXISTS ${sql.id(schema)} CASCADE`.execute(db);
}

/** A pino destination that keeps every line, for asserting on log output. */
export function memoryDestination() {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      chunks.push(chunk.toString());
      callback();
    },
  });
  const text = () => chunks.join('');
  const lines = () =>
    text()
      .split('\n')
      .filter((line) => line.length > 0)
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  return { stream, text, lines };
}
