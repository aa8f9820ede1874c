import { testEnv, uniqueName } from '@baton/testing';
import { sql, type Kysely, type Migration } from 'kysely';
import { createDatabase, migrateToLatest, type DatabaseHandle } from '../src/db.js';
import { dropSchema } from './support.js';

const migrations: Record<string, Migration> = Object.freeze({
  '0001_notes': {
    async up(db: Kysely<any>) {
      await db.schema.createTable('notes').addColumn('id', 'integer', (column) => column.primaryKey()).execute();
    },
  },
  '0002_notes_body': {
    async up(db: Kysely<any>) {
      await sql`ALTER TABLE notes ADD COLUMN body text NOT NULL DEFAULT ''`.execute(db);
    },
  },
});

// Only the test's own schemas: other files (and people) share this database.
async function tableSchemas(db: Kysely<any>, table: string, schemas: string[]): Promise<string[]> {
  const { rows } = await sql<{ table_schema: string }>`
    select table_schema from information_schema.tables
    where table_name = ${table} and table_schema in (${sql.join(schemas)})`.execute(db);
  return rows.map((row) => row.table_schema);
}

describe('createDatabase + migrateToLatest', () => {
  const url = testEnv().databaseUrl;
  const first = uniqueName('kit_db_a');
  const second = uniqueName('kit_db_b');
  let a: DatabaseHandle<{ notes: { id: number; body: string } }>;
  let b: DatabaseHandle<{ notes: { id: number; body: string } }>;

  beforeAll(() => {
    a = createDatabase({ url, schema: first, max: 2 });
    b = createDatabase({ url, schema: second, max: 2 });
  });
  afterAll(async () => {
    await dropSchema(a.db, first);
    await dropSchema(a.db, second);
    await a.close();
    await b.close();
  });

  it('creates the schema and runs the migrations, and a second run changes nothing', async () => {
    await migrateToLatest(a.db, { schema: first, migrations });
    await migrateToLatest(a.db, { schema: first, migrations });
    expect(await tableSchemas(a.db, 'notes', [first, second])).toEqual([first]);
    const { rows } = await sql<{ name: string }>`select name from ${sql.id(first, 'kysely_migration')} order by name`.execute(
      a.db,
    );
    expect(rows.map((row) => row.name)).toEqual(['0001_notes', '0002_notes_body']);
    await a.db.insertInto('notes').values({ id: 1, body: 'hello' }).execute();
    expect(await a.db.selectFrom('notes').selectAll().execute()).toEqual([{ id: 1, body: 'hello' }]);
  });

  it('keeps each service in its own schema: unqualified names never cross', async () => {
    await migrateToLatest(b.db, { schema: second, migrations: {} });
    await expect(b.db.selectFrom('notes').selectAll().execute()).rejects.toThrow(/relation "notes" does not exist/);
    const { rows } = await sql<{ search_path: string }>`show search_path`.execute(b.db);
    expect(rows[0]?.search_path).toBe(second);
  });

  it('names the failing migration and keeps earlier ones', async () => {
    const broken: Record<string, Migration> = {
      ...migrations,
      '0003_broken': { up: async (db: Kysely<any>) => void (await sql`select * from nowhere`.execute(db)) },
    };
    await expect(migrateToLatest(a.db, { schema: first, migrations: broken })).rejects.toThrow(
      new RegExp(`Migration 0003_broken failed in schema ${first}: relation "nowhere" does not exist`),
    );
    expect(await tableSchemas(a.db, 'notes', [first, second])).toEqual([first]);
  });

  it('refuses a schema name that is not a plain identifier', () => {
    expect(() => createDatabase({ url, schema: 'bad-name; drop' })).toThrow(/Invalid Postgres schema name/);
  });

  it('closes idempotently', async () => {
    const c = createDatabase({ url, schema: first, max: 1 });
    await c.close();
    await expect(c.close()).resolves.toBeUndefined();
  });
});
