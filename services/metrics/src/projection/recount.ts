import { sql, type Kysely } from 'kysely';
import type { GroupCounters } from '../db/rollups.repository.js';
import { LADDER_SECONDS } from '../domain/durations.js';
import { GROUP_BY_COLUMN, STAGE_COLUMN, STAGES, type GroupBy } from '../domain/stages.js';
import type { Interval } from '../domain/window.js';

// The recount: every lead's facts recomputed from the audit log's raw envelopes with plain SQL (DISTINCT ON,
// min, FILTER), sharing nothing with the fold but the lists of stages, dimensions and ladder bounds. If the
// TypeScript fold, the rollup maintenance or the window planning drifts, the two answers differ.
// Times are cut to milliseconds as JavaScript's Date does, so both sides compare the same instants.

const ms = (expr: string) => `date_trunc('milliseconds', (${expr})::timestamptz)`;
const AT = `CASE type
  WHEN 'lead.captured' THEN d->>'capturedAt' WHEN 'lead.assigned' THEN d->>'assignedAt'
  WHEN 'lead.claimed' THEN d->>'claimedAt' WHEN 'lead.reassigned' THEN d->>'reassignedAt'
  WHEN 'lead.contact_attempted' THEN d->>'attemptedAt' WHEN 'lead.contacted' THEN d->>'contactedAt'
  WHEN 'lead.qualified' THEN d->>'qualifiedAt' WHEN 'lead.disqualified' THEN d->>'disqualifiedAt'
  WHEN 'lead.closed' THEN d->>'closedAt' WHEN 'appointment.booked' THEN time
  WHEN 'appointment.confirmed' THEN d->>'confirmedAt' WHEN 'appointment.cancelled' THEN d->>'cancelledAt'
  WHEN 'appointment.held' THEN d->>'heldAt' WHEN 'appointment.no_show' THEN d->>'recordedAt' END`;
const TERMINAL = `type IN ('appointment.held', 'appointment.no_show', 'appointment.cancelled')`;
const latestOf = (expr: string) => `(array_agg(${expr} ORDER BY at DESC, event_id DESC) FILTER (WHERE ${TERMINAL}))[1]`;

const bin = (from: string, to: string) =>
  `CASE WHEN ${from} IS NOT NULL AND ${to} IS NOT NULL THEN (SELECT count(*) FROM unnest(ARRAY[${LADDER_SECONDS.join(',')}]::numeric[]) AS l(bound)
     WHERE bound < greatest(0, extract(epoch FROM ${to} - ${from}))) END`;
const DURATION_BINS = {
  capture_claim: bin('captured_at', 'claimed_at'),
  claim_touch: bin('claimed_at', 'first_touch_at'),
  capture_booked: bin('captured_at', 'booked_at'),
  booked_held: bin('booked_at', 'held_at'),
};

const BIN_COLUMNS = Object.entries(DURATION_BINS).map(([name, expr]) => `${expr} AS bin_${name}`).join(',\n');

// Per captured lead: the earliest capture, first times, deadlines of the first assignment and claim, the latest
// owner, queue, booking and outcome, and each appointment's final status (the latest of held/no-show/cancelled).
const LEAD_FACTS = `
    t AS (SELECT lead_id, type, event_id, d, ${ms(AT)} AS at FROM raw),
    capture AS (
      SELECT DISTINCT ON (lead_id) lead_id, at AS captured_at, d->>'entryPath' AS entry_path,
             d->'source'->>'campaign' AS campaign, (d->'completeness'->>'score')::int AS completeness
      FROM t WHERE type = 'lead.captured' ORDER BY lead_id, at, event_id
    ),
    firsts AS (
      SELECT lead_id,
        min(at) FILTER (WHERE type = 'lead.assigned') AS assigned_at, min(at) FILTER (WHERE type = 'lead.claimed') AS claimed_at,
        min(at) FILTER (WHERE type = 'lead.contact_attempted') AS attempted_at, min(at) FILTER (WHERE type = 'lead.contacted') AS contacted_at,
        min(at) FILTER (WHERE type = 'lead.qualified') AS qualified_at, min(at) FILTER (WHERE type = 'lead.disqualified') AS disqualified_at
      FROM t GROUP BY lead_id
    ),
    claim_deadline AS (
      SELECT DISTINCT ON (lead_id) lead_id, ${ms("d->>'claimDeadline'")} AS claim_deadline
      FROM t WHERE type = 'lead.assigned' ORDER BY lead_id, at, event_id
    ),
    touch_deadline AS (
      SELECT DISTINCT ON (lead_id) lead_id, ${ms("d->>'firstTouchDeadline'")} AS touch_deadline
      FROM t WHERE type = 'lead.claimed' AND d ? 'firstTouchDeadline' ORDER BY lead_id, at, event_id
    ),
    owner AS (
      SELECT DISTINCT ON (lead_id) lead_id,
        lower(CASE type WHEN 'lead.assigned' THEN d->'owner'->>'memberId' WHEN 'lead.claimed' THEN d->>'memberId' ELSE d->>'toMemberId' END) AS owner_id
      FROM t WHERE type IN ('lead.assigned', 'lead.claimed', 'lead.reassigned') ORDER BY lead_id, at DESC, event_id DESC
    ),
    queue AS (
      SELECT DISTINCT ON (lead_id) lead_id, lower(d->>'queueId') AS queue_id
      FROM t WHERE type IN ('lead.assigned', 'lead.reassigned') ORDER BY lead_id, at DESC, event_id DESC
    ),
    booking AS (
      SELECT DISTINCT ON (lead_id) lead_id, d->>'meetingType' AS meeting_type,
        lower(coalesce(d->>'setterId', CASE WHEN d->'bookedBy'->>'type' = 'member' THEN d->'bookedBy'->>'memberId' END)) AS setter_id
      FROM t WHERE type = 'appointment.booked' ORDER BY lead_id, at DESC, event_id DESC
    ),
    closed AS (
      SELECT DISTINCT ON (lead_id) lead_id, d->>'outcome' AS outcome FROM t WHERE type = 'lead.closed' ORDER BY lead_id, at DESC, event_id DESC
    ),
    appointment AS (
      SELECT lead_id, lower(d->>'appointmentId') AS appointment_id,
        min(at) FILTER (WHERE type = 'appointment.booked') AS booked_at,
        min(at) FILTER (WHERE type = 'appointment.confirmed') AS confirmed_at,
        count(DISTINCT event_id) FILTER (WHERE type = 'appointment.rescheduled') AS reschedules,
        ${latestOf('type')} AS terminal, ${latestOf('at')} AS terminal_at
      FROM t WHERE type LIKE 'appointment.%' GROUP BY lead_id, lower(d->>'appointmentId')
    ),
    appointments AS (
      SELECT lead_id, min(booked_at) AS booked_at, min(confirmed_at) AS confirmed_at,
        min(terminal_at) FILTER (WHERE terminal = 'appointment.held') AS held_at,
        count(*) AS appointments, count(*) FILTER (WHERE terminal = 'appointment.held') AS appointments_held,
        count(*) FILTER (WHERE terminal = 'appointment.no_show') AS appointments_no_show,
        count(*) FILTER (WHERE terminal = 'appointment.cancelled') AS appointments_cancelled,
        count(*) FILTER (WHERE terminal IS NULL) AS appointments_open,
        count(*) FILTER (WHERE reschedules > 0) AS appointments_rescheduled, sum(reschedules) AS reschedules
      FROM appointment GROUP BY lead_id
    )
    SELECT c.*, f.assigned_at, f.claimed_at, LEAST(f.attempted_at, f.contacted_at) AS first_touch_at, f.contacted_at,
      f.qualified_at, f.disqualified_at, cd.claim_deadline, td.touch_deadline, o.owner_id, q.queue_id, b.setter_id,
      b.meeting_type, cl.outcome, a.booked_at, a.confirmed_at, a.held_at,
      coalesce(a.appointments, 0) AS appointments, coalesce(a.appointments_held, 0) AS appointments_held,
      coalesce(a.appointments_no_show, 0) AS appointments_no_show, coalesce(a.appointments_cancelled, 0) AS appointments_cancelled,
      coalesce(a.appointments_open, 0) AS appointments_open, coalesce(a.appointments_rescheduled, 0) AS appointments_rescheduled,
      coalesce(a.reschedules, 0) AS reschedules
    FROM capture c
    LEFT JOIN firsts f USING (lead_id) LEFT JOIN claim_deadline cd USING (lead_id) LEFT JOIN touch_deadline td USING (lead_id)
    LEFT JOIN owner o USING (lead_id) LEFT JOIN queue q USING (lead_id) LEFT JOIN booking b USING (lead_id)
    LEFT JOIN closed cl USING (lead_id) LEFT JOIN appointments a USING (lead_id)
`;

/**
 * Builds the temporary table recount_leads (one row per captured lead of the tenant) in the caller's
 * transaction. Everything in the audit log is folded into the projections in the same transaction that logged
 * it, so in one snapshot the log and the projections stand on exactly the same events.
 */
export async function buildRecount(trx: Kysely<any>, tenantId: string): Promise<void> {
  await sql`DROP TABLE IF EXISTS recount_leads`.execute(trx);
  await sql`
    CREATE TEMP TABLE recount_leads ON COMMIT DROP AS
    SELECT facts.*, ${sql.raw(BIN_COLUMNS)} FROM (
      WITH raw AS (
        SELECT lead_id, type, event_id, envelope->'data' AS d, envelope->>'time' AS time FROM audit_log WHERE tenant_id = ${tenantId}
      ),
      ${sql.raw(LEAD_FACTS)}
    ) AS facts`.execute(trx);
}

function recountColumns(): string {
  const cols = STAGES.map((s) => `count(${STAGE_COLUMN[s]}) AS reached_${s}`);
  STAGES.slice(1).forEach((s, i) => cols.push(`count(${STAGE_COLUMN[s]}) FILTER (WHERE ${STAGE_COLUMN[STAGES[i]!]} IS NOT NULL) AS kept_${s}`));
  for (const c of ['appointments', 'appointments_held', 'appointments_no_show', 'appointments_cancelled', 'appointments_open', 'appointments_rescheduled', 'reschedules']) cols.push(`sum(${c}) AS ${c}`);
  for (const o of ['won', 'lost', 'nurture']) cols.push(`count(*) FILTER (WHERE outcome = '${o}') AS ${o}`);
  cols.push('count(disqualified_at) AS disqualified', 'count(*) FILTER (WHERE completeness >= 80) AS complete');
  cols.push('count(*) FILTER (WHERE claimed_at <= claim_deadline) AS claim_in_sla');
  cols.push('count(*) FILTER (WHERE claimed_at IS NOT NULL AND first_touch_at <= touch_deadline) AS touch_in_sla');
  cols.push('count(*) FILTER (WHERE outcome IS NOT NULL OR disqualified_at IS NOT NULL OR appointments_held + appointments_no_show > 0) AS loop_closed');
  for (const name of Object.keys(DURATION_BINS)) {
    for (let i = 0; i <= LADDER_SECONDS.length; i++) cols.push(`count(*) FILTER (WHERE bin_${name} = ${i}) AS d_${name}_${i}`);
  }
  return cols.join(',\n');
}


/** The counters of a cohort window per group, from recount_leads (built by buildRecount in this transaction). */
export async function recountCounters(trx: Kysely<any>, window: Interval, groupBy: GroupBy | null): Promise<GroupCounters[]> {
  const value = groupBy === null ? `''` : `coalesce(${GROUP_BY_COLUMN[groupBy]}::text, '')`;
  const { rows } = await sql<Record<string, string | null>>`
    SELECT ${sql.raw(value)} AS value, ${sql.raw(recountColumns())} FROM recount_leads
    WHERE captured_at >= ${window.from} AND captured_at < ${window.to}
    GROUP BY 1 ORDER BY 1`.execute(trx);
  return rows.map(({ value: key, ...sums }) => ({
    value: key ?? '',
    counters: Object.fromEntries(Object.entries(sums).flatMap(([name, n]) => (n === null || Number(n) === 0 ? [] : [[name, Number(n)]]))),
  }));
}
