import { sql, type Kysely, type Migration } from 'kysely';

/*
 * Frozen in time: the outbox and inbox tables every service keeps in its own schema.
 * A change here is a new migration, never an edit of this one.
 */
export const messagingMigration0000: Migration = {
  async up(db: Kysely<any>) {
    await sql`
      CREATE TABLE outbox (
        id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        event_id      uuid NOT NULL UNIQUE,
        topic         text NOT NULL,
        message_key   text NOT NULL,
        event_type    text NOT NULL,
        payload       jsonb NOT NULL,
        created_at    timestamptz NOT NULL DEFAULT now(),
        published_at  timestamptz
      )`.execute(db);
    // The relay only ever reads pending rows; keep those indexes small.
    await sql`CREATE INDEX outbox_pending_idx ON outbox (id) WHERE published_at IS NULL`.execute(db);
    await sql`CREATE INDEX outbox_pending_key_idx ON outbox (message_key, id) WHERE published_at IS NULL`.execute(db);
    // One notification per inserting statement wakes the relay; the payload names the schema.
    await sql`
      CREATE FUNCTION outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('baton_outbox', TG_TABLE_SCHEMA);
        RETURN NULL;
      END $$`.execute(db);
    await sql`
      CREATE TRIGGER outbox_notify AFTER INSERT ON outbox
      FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify()`.execute(db);

    await sql`
      CREATE TABLE inbox (
        consumer      text NOT NULL,
        event_id      uuid NOT NULL,
        event_type    text NOT NULL,
        topic         text NOT NULL,
        kafka_partition integer NOT NULL,
        kafka_offset  bigint NOT NULL,
        processed_at  timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (consumer, event_id)
      )`.execute(db);
  },
  async down(db: Kysely<any>) {
    await sql`DROP TABLE inbox`.execute(db);
    await sql`DROP TRIGGER outbox_notify ON outbox`.execute(db);
    await sql`DROP FUNCTION outbox_notify()`.execute(db);
    await sql`DROP TABLE outbox`.execute(db);
  },
};

/*
 * The NOTIFY trigger made every writing transaction take a database-wide lock at commit, serialising commits
 * (no group commit). The relay is now woken in-process by the database handle (signal.ts) and polls for
 * the rest.
 */
export const messagingMigration0001: Migration = {
  async up(db: Kysely<any>) {
    await sql`DROP TRIGGER outbox_notify ON outbox`.execute(db);
    await sql`DROP FUNCTION outbox_notify()`.execute(db);
  },
  async down(db: Kysely<any>) {
    await sql`
      CREATE FUNCTION outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('baton_outbox', TG_TABLE_SCHEMA);
        RETURN NULL;
      END $$`.execute(db);
    await sql`
      CREATE TRIGGER outbox_notify AFTER INSERT ON outbox
      FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify()`.execute(db);
  },
};

/** Migrations a service merges into its own so it gets the outbox and inbox tables. */
export const messagingMigrations: Record<string, Migration> = {
  '0000_messaging_outbox_inbox': messagingMigration0000,
  '0001_messaging_in_process_signal': messagingMigration0001,
};
