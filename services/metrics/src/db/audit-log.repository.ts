import type { LifecycleEvent } from '@baton/contracts';
import { sql, type Kysely } from 'kysely';

/**
 * Takes in received (already redacted) events, in the consumer's transaction, for the projector to log and fold:
 * one statement for all of them (the array is parsed once; its elements become the rows, in order).
 */
export async function addToIntake(db: Kysely<any>, events: readonly LifecycleEvent[]): Promise<void> {
  if (events.length === 0) return;
  await sql`INSERT INTO intake (payload) SELECT value FROM jsonb_array_elements(${JSON.stringify(events)}::jsonb)`.execute(db);
}

/** A stored event with the position it sorts at (event time, then id). */
export type LoggedEvent = { event_id: string; event_time: Date; recorded_at: Date; envelope: LifecycleEvent };

/** Where a timeline page starts: after this (time, event id). */
export type LogPosition = { at: Date; eventId: string };

/** A tenant's events of one lead in event-time order, after `position`. */
export async function leadEvents(
  db: Kysely<any>,
  query: { tenantId: string; leadId: string; after: LogPosition | null; limit: number },
): Promise<LoggedEvent[]> {
  const after = query.after === null ? sql`` : sql`AND (event_time, event_id) > (${query.after.at}, ${query.after.eventId}::uuid)`;
  const { rows } = await sql<LoggedEvent>`
    SELECT event_id, event_time, recorded_at, envelope FROM audit_log
    WHERE tenant_id = ${query.tenantId} AND lead_id = ${query.leadId}::uuid ${after}
    ORDER BY event_time, event_id
    LIMIT ${query.limit}`.execute(db);
  return rows;
}

/** Where a walk through the whole log (lead by lead) resumes. */
export type WalkPosition = { tenantId: string; leadId: string; at: Date; eventId: string };

/** The next page of the whole log in (tenant, lead, time, id) order: every event of a lead comes together. */
export async function walkLog(db: Kysely<any>, after: WalkPosition | null, limit: number): Promise<Array<LoggedEvent & { tenant_id: string; lead_id: string }>> {
  const where = after === null
    ? sql``
    : sql`WHERE (tenant_id, lead_id, event_time, event_id) > (${after.tenantId}, ${after.leadId}::uuid, ${after.at}, ${after.eventId}::uuid)`;
  const { rows } = await sql<LoggedEvent & { tenant_id: string; lead_id: string }>`
    SELECT tenant_id, lead_id, event_id, event_time, recorded_at, envelope FROM audit_log ${where}
    ORDER BY tenant_id, lead_id, event_time, event_id
    LIMIT ${limit}`.execute(db);
  return rows;
}

/**
 * Moves up to `limit` events from the intake into the audit log (in the caller's transaction) and returns the
 * ones the log did not hold yet: a redelivered copy of an event is logged, and folded, only once.
 */
export async function logFromIntake(db: Kysely<any>, limit: number): Promise<{ taken: number; logged: LifecycleEvent[] }> {
  const { rows } = await sql<{ envelope: LifecycleEvent | null }>`
    WITH taken AS (
      DELETE FROM intake WHERE id IN (SELECT id FROM intake ORDER BY id LIMIT ${limit} FOR UPDATE SKIP LOCKED)
      RETURNING id, payload AS e, received_at
    ),
    logged AS (
      INSERT INTO audit_log (event_id, tenant_id, lead_id, type, source, event_time, correlation_id, causation_id, envelope, recorded_at)
      SELECT (e->>'id')::uuid, e->>'tenantid', (e->>'subject')::uuid, e->>'type', e->>'source',
             date_trunc('milliseconds', (e->>'time')::timestamptz), e->>'correlationid', e->>'causationid', e, received_at
      FROM taken ORDER BY id
      ON CONFLICT (event_id) DO NOTHING
      RETURNING envelope
    )
    -- Plus one NULL row per event taken, so the count is known even when nothing new was logged.
    SELECT envelope FROM logged
    UNION ALL SELECT NULL FROM taken`.execute(db);
  const logged = rows.flatMap((r) => (r.envelope === null ? [] : [r.envelope]));
  return { taken: rows.length - logged.length, logged };
}
