import { testEnv, uniqueName } from '@baton/testing';
import { Kysely, PostgresDialect, sql, type DatabaseConnection, type Dialect, type Migration } from 'kysely';
import pg from 'pg';
import { createDatabase, migrateToLatest, type DatabaseHandle } from '../src/db.js';
import { dropSchema } from './support.js';

const migrations: Record<string, Migration> = {
  '0001_things': {
    async up(db: Kysely<any>) {
      // The migrator must run on the session that holds this schema's migration lock.
      const { rows } = await sql<{ held: boolean }>`
        SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND mode = 'ExclusiveLock'
          AND pid = pg_backend_pid() AND classid = ${0x6261746f}::oid AND objsubid = 2) AS held`.execute(db);
      if (!rows[0]?.held) throw new Error('migration ran without the schema migration lock');
      await db.schema.createTable('things').addColumn('id', 'integer', (column) => column.primaryKey()).execute();
    },
  },
};

describe('migrateToLatest under concurrency', () => {
  const schema = uniqueName('kit_migrate_race');
  // Separate pools, as separate service processes would have.
  const handles: DatabaseHandle<unknown>[] = [];

  beforeAll(() => {
    for (let i = 0; i < 4; i += 1) handles.push(createDatabase({ url: testEnv().databaseUrl, schema, max: 1 }));
  });
  afterAll(async () => {
    if (handles[0]) await dropSchema(handles[0].db, schema);
    await Promise.all(handles.map((handle) => handle.close()));
  });

  it('migrates one fresh schema from four pools at once without error, once', async () => {
    await Promise.all(handles.map((handle) => migrateToLatest(handle.db, { schema, migrations })));
    const { rows } = await sql<{ name: string }>`SELECT name FROM ${sql.id(schema, 'kysely_migration')}`.execute(handles[0]!.db);
    expect(rows.map((row) => row.name)).toEqual(['0001_things']);
    // The session lock is released: a later run on the same single-connection pool does not hang.
    await migrateToLatest(handles[0]!.db, { schema, migrations });
  });
});

/** A dialect whose first catalog scan (the migrator's own-table lookup) fails as a concurrent DROP SCHEMA makes it fail. */
function dropDuringFirstScan(pool: pg.Pool, seen: { failures: number }): Dialect {
  const base = new PostgresDialect({ pool });
  type Wrapped = DatabaseConnection & { inner: DatabaseConnection };
  const inner = (connection: DatabaseConnection) => (connection as Wrapped).inner;
  return {
    createAdapter: () => base.createAdapter(),
    createQueryCompiler: () => base.createQueryCompiler(),
    createIntrospector: (db) => base.createIntrospector(db),
    createDriver: () => {
      const driver = base.createDriver();
      return {
        init: () => driver.init(),
        destroy: () => driver.destroy(),
        acquireConnection: async (): Promise<Wrapped> => {
          const connection = await driver.acquireConnection();
          return {
            inner: connection,
            executeQuery: async (query) => {
              if (seen.failures === 0 && query.sql.includes('pg_attribute')) {
                seen.failures += 1;
                throw Object.assign(new Error('schema "someone_elses_test_schema" does not exist'), { code: '3F000', severity: 'ERROR' });
              }
              return connection.executeQuery(query);
            },
            streamQuery: (query, chunkSize) => connection.streamQuery(query, chunkSize),
          };
        },
        beginTransaction: (connection, settings) => driver.beginTransaction(inner(connection), settings),
        commitTransaction: (connection) => driver.commitTransaction(inner(connection)),
        rollbackTransaction: (connection) => driver.rollbackTransaction(inner(connection)),
        releaseConnection: (connection) => driver.releaseConnection(inner(connection)),
      };
    },
  };
}

describe('migrateToLatest while another schema is dropped', () => {
  const schema = uniqueName('kit_migrate_drop');
  const pool = new pg.Pool({ connectionString: testEnv().databaseUrl, max: 1, options: `-c search_path=${schema}` });
  const seen = { failures: 0 };
  const db = new Kysely<any>({ dialect: dropDuringFirstScan(pool, seen) });
  afterAll(async () => {
    await dropSchema(db, schema);
    await db.destroy();
  });

  it("retries the migrator's set-up when its catalog scan meets a schema another session just dropped", async () => {
    await migrateToLatest(db, { schema, migrations });
    expect(seen.failures).toBe(1);
    const { rows } = await sql<{ name: string }>`SELECT name FROM ${sql.id(schema, 'kysely_migration')}`.execute(db);
    expect(rows.map((row) => row.name)).toEqual(['0001_things']);
  });
});
