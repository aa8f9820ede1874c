import { testEnv, uniqueName } from '@baton/testing';
import { sql, type Kysely, type Migration } from 'kysely';
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
