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

/** Advisory-lock class of the relay lock (the two-int form keeps it apart from other advisory locks). */
export const OUTBOX_RELAY_LOCK_CLASS = 7_462_002;

/*
 * The relay's claim as one function: one relay of a schema at a time, walking the pending index in id order.
 *
 * The claim used to lock rows FOR UPDATE SKIP LOCKED and, per row, look for an earlier pending row of the same
 * key held by another relay. Postgres planned that as bitmap scans of outbox_pending_idx, and a bitmap scan
 * never marks an index entry dead: every row published since the last vacuum (its update leaves the old
 * entry behind) was visited again, heap page and all, on every pass. At a steady 500 leads/s that was ~1 ms
 * of Postgres per pass and growing with the outbox, more than capturing the leads cost.
 *
 * Now a pass holds a per-schema advisory lock instead, so relays of one schema publish one after another and
 * a lead's events keep their order with no per-row check. The SELECT may only walk the index (no bitmap, no
 * sequential scan): a plain index scan marks the entries of published rows dead as it passes them (once no
 * open snapshot still needs those row versions), and the next pass skips them without touching the heap. A
 * transaction held open for long defers the marking, as it defers vacuum. A relay that finds the lock held
 * gets 55P03 (lock_not_available) and tries again shortly. outbox_pending_key_idx only served the per-row
 * check.
 */
export const messagingMigration0002: Migration = {
  async up(db: Kysely<any>) {
    await sql`
      CREATE FUNCTION outbox_claim(p_limit integer)
      RETURNS TABLE (id bigint, event_id uuid, topic text, message_key text, event_type text, payload jsonb)
      LANGUAGE plpgsql SET enable_bitmapscan = off SET enable_seqscan = off AS $$
      BEGIN
        IF NOT pg_try_advisory_xact_lock(${sql.lit(OUTBOX_RELAY_LOCK_CLASS)}, hashtext(current_schema())) THEN
          RAISE EXCEPTION 'another relay is publishing this outbox' USING ERRCODE = 'lock_not_available';
        END IF;
        -- A statement of its own: its snapshot is taken after the lock is granted, so it sees every row the
        -- previous holder marked published.
        RETURN QUERY
          SELECT o.id, o.event_id, o.topic, o.message_key, o.event_type, o.payload
          FROM outbox AS o
          WHERE o.published_at IS NULL
          ORDER BY o.id
          LIMIT p_limit;
      END $$`.execute(db);
    // Needs the table to itself: give up (the service fails to start and is restarted) rather than queue every
    // writer behind a relay of the previous release stuck in a long send.
    await sql`SET LOCAL lock_timeout = '5s'`.execute(db);
    await sql`DROP INDEX outbox_pending_key_idx`.execute(db);
    await sql`SET LOCAL lock_timeout TO DEFAULT`.execute(db);
  },
  async down(db: Kysely<any>) {
    await sql`CREATE INDEX outbox_pending_key_idx ON outbox (message_key, id) WHERE published_at IS NULL`.execute(db);
    await sql`DROP FUNCTION outbox_claim(integer)`.execute(db);
  },
};

/** Migrations a service merges into its own so it gets the outbox and inbox tables. */
export const messagingMigrations: Record<string, Migration> = {
  '0000_messaging_outbox_inbox': messagingMigration0000,
  '0001_messaging_in_process_signal': messagingMigration0001,
  '0002_messaging_relay_claim': messagingMigration0002,
};
