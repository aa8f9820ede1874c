import { sql, type Kysely, type Migration } from 'kysely';

/*
 * Frozen in time: what an unrouted lead needs to be routed later, once its tenant has a rule or a default queue
 * that takes it. Only the facts rules match on are kept, never the lead's contact details. A row goes with its
 * 'unrouted' assignment (ON DELETE CASCADE).
 */
export const routingMigration0002: Migration = {
  async up(db: Kysely<any>) {
    await sql`
      CREATE TABLE unrouted_leads (
        lead_id            uuid PRIMARY KEY REFERENCES assignments (lead_id) ON DELETE CASCADE,
        tenant_id          uuid NOT NULL,
        captured_event_id  uuid NOT NULL,
        facts              jsonb NOT NULL,
        created_at         timestamptz NOT NULL DEFAULT now()
      )`.execute(db);
  },
  async down(db: Kysely<any>) {
    await sql`DROP TABLE unrouted_leads`.execute(db);
  },
};
