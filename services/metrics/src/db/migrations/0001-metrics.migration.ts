import { sql, type Kysely, type Migration } from 'kysely';

/*
 * Frozen in time: the intake, the audit log, lead journeys and funnel rollups. A change here is a
 * new migration, never an edit of this one; it imports nothing from the application, so the rollup columns
 * are spelled out from their own frozen lists (they equal COUNTER_NAMES in src/domain/counters.ts, which a
 * test checks).
 */
const STAGES = ['captured', 'assigned', 'claimed', 'first_touch', 'contacted', 'qualified', 'booked', 'confirmed', 'held'];
const DURATIONS = ['capture_claim', 'claim_touch', 'capture_booked', 'booked_held'];
const BINS = 38;
const COUNTERS = [
  ...STAGES.map((s) => `reached_${s}`),
  ...STAGES.slice(1).map((s) => `kept_${s}`),
  'appointments', 'appointments_held', 'appointments_no_show', 'appointments_cancelled', 'appointments_open', 'appointments_rescheduled', 'reschedules',
  'won', 'lost', 'nurture', 'disqualified',
  'complete', 'claim_in_sla', 'touch_in_sla', 'loop_closed',
  ...DURATIONS.flatMap((d) => Array.from({ length: BINS }, (_, i) => `d_${d}_${i}`)),
];

async function createAuditLog(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TABLE audit_log (
      event_id        uuid PRIMARY KEY,
      tenant_id       text NOT NULL,
      lead_id         uuid NOT NULL,
      type            text NOT NULL,
      source          text NOT NULL,
      event_time      timestamptz NOT NULL,
      correlation_id  text NOT NULL,
      causation_id    text,
      envelope        jsonb NOT NULL,
      recorded_at     timestamptz NOT NULL DEFAULT now()
    )`.execute(db);
  // Timelines read one lead in time order; rebuilds walk the log lead by lead in the same order.
  await sql`CREATE INDEX audit_log_lead_idx ON audit_log (tenant_id, lead_id, event_time, event_id)`.execute(db);
  // Append-only: an audit log that can be edited proves nothing. Rebuilds only ever read it.
  await sql`
    CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION 'audit_log is append-only';
    END $$`.execute(db);
  await sql`
    CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()`.execute(db);
  // Events received from Kafka and not yet logged and folded: the consumer's whole write (one narrow insert
  // next to its inbox row); the projector moves them into audit_log and the projections in batches. jsonb,
  // so that a payload Postgres cannot store fails in the consumer (and is dead-lettered), not in a batch.
  await sql`
    CREATE TABLE intake (
      id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      payload      jsonb NOT NULL,
      received_at  timestamptz NOT NULL DEFAULT now()
    )`.execute(db);
}

async function createJourneys(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TABLE journeys (
      tenant_id text NOT NULL, lead_id uuid NOT NULL,
      entry_path text, campaign text, queue_id uuid, owner_id uuid, setter_id uuid, meeting_type text, completeness smallint,
      captured_at timestamptz, assigned_at timestamptz, claimed_at timestamptz, first_attempt_at timestamptz,
      first_touch_at timestamptz, contacted_at timestamptz, qualified_at timestamptz, disqualified_at timestamptz,
      booked_at timestamptz, confirmed_at timestamptz, held_at timestamptz, no_show_at timestamptz,
      closed_at timestamptz, outcome text, claim_deadline timestamptz, first_touch_deadline timestamptz,
      appointments smallint NOT NULL, appointments_held smallint NOT NULL, appointments_no_show smallint NOT NULL,
      appointments_cancelled smallint NOT NULL, appointments_open smallint NOT NULL,
      appointments_rescheduled smallint NOT NULL, reschedules smallint NOT NULL,
      complete boolean NOT NULL, claim_in_sla boolean NOT NULL, touch_in_sla boolean NOT NULL, loop_closed boolean NOT NULL,
      bin_capture_claim smallint, bin_claim_touch smallint, bin_capture_booked smallint, bin_booked_held smallint,
      last_stage text, last_stage_at timestamptz, is_open boolean NOT NULL,
      state jsonb NOT NULL,
      updated_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (tenant_id, lead_id)
    )`.execute(db);
  // Partial-day edges of a funnel window count journeys by capture time.
  await sql`CREATE INDEX journeys_cohort_idx ON journeys (tenant_id, captured_at)`.execute(db);
  // Leakage: open leads stuck at a stage, oldest first.
  await sql`CREATE INDEX journeys_leakage_idx ON journeys (tenant_id, last_stage, last_stage_at, lead_id) WHERE is_open`.execute(db);
}

async function createRollups(db: Kysely<any>): Promise<void> {
  // NULL means zero: most rows touch few histogram bins, and NULLs cost no space. Rows are updated in place
  // all day long; the free space left on each page lets those updates stay HOT (no index write).
  const counters = sql.join(COUNTERS.map((name) => sql`${sql.id(name)} integer`));
  await sql`
    CREATE TABLE rollups (
      tenant_id text NOT NULL, dim text NOT NULL, level text NOT NULL CHECK (level IN ('hour', 'day', 'month')),
      bucket timestamptz NOT NULL, value text NOT NULL,
      ${counters},
      PRIMARY KEY (tenant_id, dim, level, bucket, value)
    ) WITH (fillfactor = 70)`.execute(db);
  // Sums a tenant's rollup rows over a set of signed buckets (a window may be a month minus a few hours), per
  // value. A function so that its long statement is parsed once per session (plpgsql caches it) instead of on
  // every funnel query.
  const sums = sql.raw(COUNTERS.map((name) => `sum(r.${name} * b.sign)::integer`).join(', '));
  await sql`
    CREATE FUNCTION rollup_sums(p_tenant text, p_dim text, p_levels text[], p_buckets timestamptz[], p_signs integer[])
    RETURNS SETOF rollups LANGUAGE plpgsql STABLE AS $fn$
    BEGIN
      RETURN QUERY
        SELECT p_tenant, p_dim, 'sum'::text, NULL::timestamptz, r.value, ${sums}
        FROM rollups r JOIN unnest(p_levels, p_buckets, p_signs) AS b(level, bucket, sign) ON r.level = b.level AND r.bucket = b.bucket
        WHERE r.tenant_id = p_tenant AND r.dim = p_dim
        GROUP BY r.value;
    END $fn$`.execute(db);
}

export const metricsMigration0001: Migration = {
  async up(db: Kysely<any>) {
    await createAuditLog(db);
    await createJourneys(db);
    await createRollups(db);
  },
  async down(db: Kysely<any>) {
    await sql`DROP FUNCTION rollup_sums(text, text, text[], timestamptz[], integer[])`.execute(db);
    await sql`DROP TABLE rollups`.execute(db);
    await sql`DROP TABLE journeys`.execute(db);
    await sql`DROP TABLE intake`.execute(db);
    await sql`DROP TABLE audit_log`.execute(db);
    await sql`DROP FUNCTION audit_log_append_only()`.execute(db);
  },
};
