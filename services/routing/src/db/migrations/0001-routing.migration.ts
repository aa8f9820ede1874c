import { sql, type Kysely, type Migration } from 'kysely';

/*
 * Frozen in time: members, queues, rules, assignments and their history. A change here is a new migration,
 * never an edit of this one; it imports nothing from the application.
 */
async function createMembers(db: Kysely<any>): Promise<void> {
  // open_count / day_count are the caps' counters, kept in the row so the hot path never counts assignments.
  await sql`
    CREATE TABLE members (
      id             uuid PRIMARY KEY,
      tenant_id      uuid NOT NULL,
      name           text NOT NULL,
      role           text NOT NULL,
      time_zone      text NOT NULL,
      working_hours  jsonb,
      out_of_office  jsonb NOT NULL DEFAULT '[]'::jsonb,
      weight         integer NOT NULL DEFAULT 1 CHECK (weight >= 0),
      max_open       integer CHECK (max_open >= 0),
      max_per_day    integer CHECK (max_per_day >= 0),
      active         boolean NOT NULL DEFAULT true,
      open_count     integer NOT NULL DEFAULT 0,
      day_count      integer NOT NULL DEFAULT 0,
      day_of         date,
      created_at     timestamptz NOT NULL DEFAULT now(),
      updated_at     timestamptz NOT NULL DEFAULT now()
    )`.execute(db);
  await sql`CREATE INDEX members_tenant_role_idx ON members (tenant_id, role)`.execute(db);
}

async function createQueues(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TABLE queues (
      id                       uuid PRIMARY KEY,
      tenant_id                uuid NOT NULL,
      name                     text NOT NULL,
      is_default               boolean NOT NULL DEFAULT false,
      claim_sla_seconds        integer NOT NULL DEFAULT 300 CHECK (claim_sla_seconds > 0),
      first_touch_sla_seconds  integer CHECK (first_touch_sla_seconds > 0),
      business_hours_only      boolean NOT NULL DEFAULT false,
      ignore_working_hours     boolean NOT NULL DEFAULT false,
      fallback_member_id       uuid NOT NULL REFERENCES members (id),
      escalation               jsonb NOT NULL DEFAULT '{"claim": [], "firstTouch": []}'::jsonb,
      created_at               timestamptz NOT NULL DEFAULT now(),
      updated_at               timestamptz NOT NULL DEFAULT now()
    )`.execute(db);
  // At most one default queue per tenant.
  await sql`CREATE UNIQUE INDEX queues_default_idx ON queues (tenant_id) WHERE is_default`.execute(db);
  await sql`CREATE INDEX queues_tenant_idx ON queues (tenant_id, created_at)`.execute(db);
}

async function createQueueMembers(db: Kysely<any>): Promise<void> {
  // score: the member's smooth weighted round-robin state in this queue, updated under the queue's row lock.
  await sql`
    CREATE TABLE queue_members (
      queue_id   uuid NOT NULL REFERENCES queues (id) ON DELETE CASCADE,
      member_id  uuid NOT NULL REFERENCES members (id),
      position   integer NOT NULL,
      score      bigint NOT NULL DEFAULT 0,
      PRIMARY KEY (queue_id, member_id)
    )`.execute(db);
  await sql`CREATE INDEX queue_members_member_idx ON queue_members (member_id)`.execute(db);
}

async function createRules(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TABLE rules (
      id          uuid PRIMARY KEY,
      tenant_id   uuid NOT NULL,
      name        text NOT NULL,
      position    integer NOT NULL,
      match       jsonb NOT NULL,
      queue_id    uuid NOT NULL REFERENCES queues (id),
      active      boolean NOT NULL DEFAULT true,
      created_at  timestamptz NOT NULL DEFAULT now(),
      updated_at  timestamptz NOT NULL DEFAULT now()
    )`.execute(db);
  await sql`CREATE INDEX rules_tenant_position_idx ON rules (tenant_id, position, created_at)`.execute(db);
}

async function createAssignments(db: Kysely<any>): Promise<void> {
  // One row per lead, ever: the primary key is the guard against assigning a lead twice. No foreign keys to
  // members/queues: history must survive a member or queue being deleted.
  await sql`
    CREATE TABLE assignments (
      lead_id               uuid PRIMARY KEY,
      tenant_id             uuid NOT NULL,
      queue_id              uuid,
      member_id             uuid,
      state                 text NOT NULL CHECK (state IN ('unrouted', 'assigned', 'claimed', 'contacted', 'closed')),
      correlation_id        text NOT NULL,
      assigned_at           timestamptz,
      owner_since           timestamptz,
      claim_deadline        timestamptz,
      claimed_at            timestamptz,
      first_touch_deadline  timestamptz,
      contacted_at          timestamptz,
      closed_at             timestamptz,
      overdue_since         timestamptz,
      sla_kind              text CHECK (sla_kind IN ('claim', 'first_touch')),
      sla_step              integer NOT NULL DEFAULT 0,
      sla_level             integer NOT NULL DEFAULT 0,
      sla_due_at            timestamptz,
      sla_version           integer NOT NULL DEFAULT 0,
      updated_at            timestamptz NOT NULL DEFAULT now()
    )`.execute(db);
  // The backlog: a queue's unclaimed leads, oldest owner first.
  await sql`CREATE INDEX assignments_backlog_idx ON assignments (queue_id, owner_since) WHERE state = 'assigned'`.execute(db);
  // Timer rebuild and the missed-timer sweep read pending deadlines only.
  await sql`CREATE INDEX assignments_due_idx ON assignments (sla_due_at) WHERE sla_due_at IS NOT NULL`.execute(db);
}

async function createHistory(db: Kysely<any>): Promise<void> {
  // Every routing event of a lead as emitted: the audit behind GET /v1/leads/{id}/routing.
  await sql`
    CREATE TABLE routing_history (
      id          bigserial PRIMARY KEY,
      lead_id     uuid NOT NULL,
      tenant_id   uuid NOT NULL,
      event_id    uuid NOT NULL,
      type        text NOT NULL,
      data        jsonb NOT NULL,
      at          timestamptz NOT NULL
    )`.execute(db);
  await sql`CREATE INDEX routing_history_lead_idx ON routing_history (lead_id, id)`.execute(db);
}

/** routing's tables, as first shipped. */
export const routingMigration0001: Migration = {
  async up(db: Kysely<any>) {
    await createMembers(db);
    await createQueues(db);
    await createQueueMembers(db);
    await createRules(db);
    await createAssignments(db);
    await createHistory(db);
  },
  async down(db: Kysely<any>) {
    for (const table of ['routing_history', 'assignments', 'rules', 'queue_members', 'queues', 'members']) {
      await sql`DROP TABLE ${sql.id(table)}`.execute(db);
    }
  },
};
