import { sql, type Kysely } from 'kysely';
import type { Journey } from '../domain/journey.js';
import type { JourneyRow } from '../domain/journey-row.js';
import type { Stage } from '../domain/stages.js';

// Every JourneyRow column, in one list: the upsert names them, and `satisfies` keeps the list honest.
const COLUMNS = [
  'tenant_id', 'lead_id', 'entry_path', 'campaign', 'queue_id', 'owner_id', 'setter_id', 'meeting_type', 'completeness',
  'captured_at', 'assigned_at', 'claimed_at', 'first_attempt_at', 'first_touch_at', 'contacted_at', 'qualified_at',
  'disqualified_at', 'booked_at', 'confirmed_at', 'held_at', 'no_show_at', 'closed_at', 'outcome', 'claim_deadline',
  'first_touch_deadline', 'appointments', 'appointments_held', 'appointments_no_show', 'appointments_cancelled',
  'appointments_open', 'appointments_rescheduled', 'reschedules', 'complete', 'claim_in_sla', 'touch_in_sla',
  'loop_closed', 'bin_capture_claim', 'bin_claim_touch', 'bin_capture_booked', 'bin_booked_held', 'last_stage',
  'last_stage_at', 'is_open', 'state',
] as const satisfies ReadonlyArray<keyof JourneyRow>;

type MissingColumn = Exclude<keyof JourneyRow, (typeof COLUMNS)[number]>;
// Compile-time check that no JourneyRow field is left out of COLUMNS.
const complete: MissingColumn extends never ? true : false = true;
void complete;

const columnList = COLUMNS.join(', ');
const updates = COLUMNS.filter((c) => c !== 'tenant_id' && c !== 'lead_id').map((c) => `${c} = excluded.${c}`).join(', ');

/** A lead's key. */
export type LeadKey = { tenantId: string; leadId: string };

/** The stored fold state of these leads (those the projections know), keyed `tenant|lead`. */
export async function loadJourneys(db: Kysely<any>, keys: readonly LeadKey[]): Promise<Map<string, Journey>> {
  if (keys.length === 0) return new Map();
  const { rows } = await sql<{ state: Journey }>`
    SELECT j.state FROM journeys j
    JOIN unnest(${keys.map((k) => k.tenantId)}::text[], ${keys.map((k) => k.leadId)}::uuid[]) AS k(tenant_id, lead_id)
      ON j.tenant_id = k.tenant_id AND j.lead_id = k.lead_id`.execute(db);
  return new Map(rows.map(({ state }) => [journeyKey(state.tenantId, state.leadId), state]));
}

/** The map key of a lead. */
export const journeyKey = (tenantId: string, leadId: string): string => `${tenantId}|${leadId.toLowerCase()}`;

/** Inserts or replaces journey rows (all columns are derived from `state`, so replacing is always right). */
export async function saveJourneys(db: Kysely<any>, rows: readonly JourneyRow[]): Promise<void> {
  if (rows.length === 0) return;
  await sql`
    INSERT INTO journeys (${sql.raw(columnList)}, updated_at)
    SELECT ${sql.raw(columnList)}, now() FROM jsonb_populate_recordset(NULL::journeys, ${JSON.stringify(rows)}::jsonb)
    ON CONFLICT (tenant_id, lead_id) DO UPDATE SET ${sql.raw(updates)}, updated_at = now()`.execute(db);
}

/** A journey row without its fold state, as the counters read it. */
export type CountedRow = Omit<JourneyRow, 'state'>;

const counted = COLUMNS.filter((c) => c !== 'state').join(', ');

/**
 * Journey rows of leads captured in these intervals (the sub-hour edges of a funnel window), instants as ISO
 * strings like JourneyRow. Edges are short, so this stays a handful of rows.
 */
export async function findCaptured(db: Kysely<any>, tenantId: string, spans: ReadonlyArray<{ from: Date; to: Date }>): Promise<CountedRow[]> {
  if (spans.length === 0) return [];
  const within = sql.join(spans.map(({ from, to }) => sql`(captured_at >= ${from} AND captured_at < ${to})`), sql` OR `);
  const { rows } = await sql<Record<string, unknown>>`
    SELECT ${sql.raw(counted)} FROM journeys WHERE tenant_id = ${tenantId} AND (${within})`.execute(db);
  return rows.map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, v instanceof Date ? v.toISOString() : v])) as CountedRow);
}

/** One lead stuck at a stage. */
export type LeakRow = {
  lead_id: string;
  last_stage_at: Date;
  owner_id: string | null;
  queue_id: string | null;
  entry_path: string | null;
  campaign: string | null;
};

/** Where a leakage page starts: after this (time, lead). */
export type LeakPosition = { at: Date; leadId: string };

/** Open leads whose furthest stage is `stage`, reached before `before`, oldest first, after `position`. */
export async function findLeaks(
  db: Kysely<any>,
  query: { tenantId: string; stage: Stage; before: Date; after: LeakPosition | null; limit: number },
): Promise<LeakRow[]> {
  const after = query.after === null ? sql`` : sql`AND (last_stage_at, lead_id) > (${query.after.at}, ${query.after.leadId}::uuid)`;
  const { rows } = await sql<LeakRow>`
    SELECT lead_id, last_stage_at, owner_id, queue_id, entry_path, campaign FROM journeys
    WHERE tenant_id = ${query.tenantId} AND is_open AND last_stage = ${query.stage} AND last_stage_at < ${query.before} ${after}
    ORDER BY last_stage_at, lead_id
    LIMIT ${query.limit}`.execute(db);
  return rows;
}
