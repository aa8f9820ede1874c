import { sql, type Kysely, type Migration } from 'kysely';

/*
 * Frozen in time: leads and their activities. A change here is a new migration, never an edit of this one;
 * it imports nothing from the application, so later code changes cannot rewrite history.
 */
export const leadsMigration0001: Migration = {
  async up(db: Kysely<any>) {
    // Personal data lives in columns literally named name / email / phone, like everywhere else in Baton,
    // so redaction and audits can find it by name.
    await sql`
      CREATE TABLE leads (
        id                  uuid PRIMARY KEY,
        tenant_id           uuid NOT NULL,
        entry_path          text NOT NULL,
        status              text NOT NULL DEFAULT 'new'
                            CHECK (status IN ('new', 'attempting', 'contacted', 'qualified', 'disqualified', 'closed')),
        name                text,
        email               text,
        phone               text,
        preferred_channel   text,
        time_zone           text,
        company             jsonb NOT NULL DEFAULT '{}'::jsonb,
        source              jsonb NOT NULL,
        external_ids        jsonb NOT NULL DEFAULT '{}'::jsonb,
        context             jsonb NOT NULL,
        attributes          jsonb NOT NULL DEFAULT '{}'::jsonb,
        completeness_score  smallint NOT NULL CHECK (completeness_score BETWEEN 0 AND 100),
        missing             text[] NOT NULL DEFAULT '{}',
        created_at          timestamptz NOT NULL,
        updated_at          timestamptz NOT NULL
      )`.execute(db);
    // Duplicate lookup: the newest lead of a tenant with this email (or phone) inside the window.
    await sql`CREATE INDEX leads_tenant_email_idx ON leads (tenant_id, email, created_at) WHERE email IS NOT NULL`.execute(db);
    await sql`CREATE INDEX leads_tenant_phone_idx ON leads (tenant_id, phone, created_at) WHERE phone IS NOT NULL`.execute(db);
    // Cursor pagination walks (updated_at, id) within a tenant.
    await sql`CREATE INDEX leads_tenant_updated_idx ON leads (tenant_id, updated_at, id)`.execute(db);

    await sql`
      CREATE TABLE activities (
        id           uuid PRIMARY KEY,
        tenant_id    uuid NOT NULL,
        lead_id      uuid NOT NULL REFERENCES leads (id),
        type         text NOT NULL,
        payload      jsonb NOT NULL,
        occurred_at  timestamptz NOT NULL,
        created_at   timestamptz NOT NULL DEFAULT now()
      )`.execute(db);
    await sql`CREATE INDEX activities_lead_idx ON activities (lead_id, occurred_at)`.execute(db);
  },
  async down(db: Kysely<any>) {
    await sql`DROP TABLE activities`.execute(db);
    await sql`DROP TABLE leads`.execute(db);
  },
};
