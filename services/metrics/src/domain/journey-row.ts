import { binOf } from './durations.js';
import { minInstant, type Appointment, type Journey, type TerminalStatus } from './journey.js';
import { COMPLETENESS_THRESHOLD, STAGE_COLUMN, STAGES, type Stage } from './stages.js';

// The journey flattened into what queries filter and count on. Derived from the fold state only, so a row can
// always be recomputed from `state`; every flag the scorecard counts is decided here, once, in TypeScript.

/** The journeys table row (snake_case, instants as ISO strings). */
export type JourneyRow = {
  tenant_id: string;
  lead_id: string;
  entry_path: string | null;
  campaign: string | null;
  queue_id: string | null;
  owner_id: string | null;
  setter_id: string | null;
  meeting_type: string | null;
  completeness: number | null;
  captured_at: string | null;
  assigned_at: string | null;
  claimed_at: string | null;
  first_attempt_at: string | null;
  first_touch_at: string | null;
  contacted_at: string | null;
  qualified_at: string | null;
  disqualified_at: string | null;
  booked_at: string | null;
  confirmed_at: string | null;
  held_at: string | null;
  no_show_at: string | null;
  closed_at: string | null;
  outcome: string | null;
  claim_deadline: string | null;
  first_touch_deadline: string | null;
  appointments: number;
  appointments_held: number;
  appointments_no_show: number;
  appointments_cancelled: number;
  appointments_open: number;
  appointments_rescheduled: number;
  reschedules: number;
  complete: boolean;
  claim_in_sla: boolean;
  touch_in_sla: boolean;
  loop_closed: boolean;
  bin_capture_claim: number | null;
  bin_claim_touch: number | null;
  bin_capture_booked: number | null;
  bin_booked_held: number | null;
  last_stage: Stage | null;
  last_stage_at: string | null;
  is_open: boolean;
  state: Journey;
};

type AppointmentSummary = Pick<JourneyRow, 'booked_at' | 'confirmed_at' | 'held_at' | 'no_show_at' | 'appointments' | 'appointments_held' | 'appointments_no_show' | 'appointments_cancelled' | 'appointments_open' | 'appointments_rescheduled' | 'reschedules'>;

const ended = (list: Appointment[], status: TerminalStatus) => list.filter((a) => a.terminal?.value === status);
const earliestOf = (times: Array<string | null>) => times.reduce<string | null>((min, t) => minInstant(min, t), null);

function summarizeAppointments(journey: Journey): AppointmentSummary {
  const list = Object.values(journey.appointments);
  const held = ended(list, 'held');
  const noShow = ended(list, 'no_show');
  return {
    booked_at: earliestOf(list.map((a) => a.bookedAt)),
    confirmed_at: earliestOf(list.map((a) => a.confirmedAt)),
    // Held and no-show come from the appointment's final status, so a no-show later corrected to held is held.
    held_at: earliestOf(held.map((a) => a.terminal?.at ?? null)),
    no_show_at: earliestOf(noShow.map((a) => a.terminal?.at ?? null)),
    appointments: list.length,
    appointments_held: held.length,
    appointments_no_show: noShow.length,
    appointments_cancelled: ended(list, 'cancelled').length,
    appointments_open: list.filter((a) => a.terminal === null).length,
    appointments_rescheduled: list.filter((a) => a.reschedules.length > 0).length,
    reschedules: list.reduce((sum, a) => sum + a.reschedules.length, 0),
  };
}

const within = (at: string | null, deadline: string | null): boolean => at !== null && deadline !== null && at <= deadline;

/** The furthest stage reached (by funnel order, not by time) and when it was reached. */
function lastStage(row: Omit<JourneyRow, 'last_stage' | 'last_stage_at' | 'is_open' | 'state'>): { last_stage: Stage | null; last_stage_at: string | null } {
  for (const stage of [...STAGES].reverse()) {
    const at = row[STAGE_COLUMN[stage]];
    if (at !== null) return { last_stage: stage, last_stage_at: at };
  }
  return { last_stage: null, last_stage_at: null };
}

/** Flattens a journey into its table row. */
export function toRow(journey: Journey): JourneyRow {
  const { firsts, capture } = journey;
  const appointments = summarizeAppointments(journey);
  const firstTouch = minInstant(firsts.attempted, firsts.contacted);
  const claimDeadline = journey.claimDeadline?.value ?? null;
  const touchDeadline = journey.firstTouchDeadline?.value ?? null;
  const base = {
    tenant_id: journey.tenantId,
    lead_id: journey.leadId,
    entry_path: capture?.value.entryPath ?? null,
    campaign: capture?.value.campaign ?? null,
    queue_id: journey.queue?.value ?? null,
    owner_id: journey.owner?.value ?? null,
    setter_id: journey.booking?.value.setterId ?? null,
    meeting_type: journey.booking?.value.meetingType ?? null,
    completeness: capture?.value.completeness ?? null,
    captured_at: capture?.at ?? null,
    assigned_at: firsts.assigned ?? null,
    claimed_at: firsts.claimed ?? null,
    first_attempt_at: firsts.attempted ?? null,
    first_touch_at: firstTouch,
    contacted_at: firsts.contacted ?? null,
    qualified_at: firsts.qualified ?? null,
    disqualified_at: firsts.disqualified ?? null,
    ...appointments,
    closed_at: journey.closed?.at ?? null,
    outcome: journey.closed?.value ?? null,
    claim_deadline: claimDeadline,
    first_touch_deadline: touchDeadline,
    complete: (capture?.value.completeness ?? -1) >= COMPLETENESS_THRESHOLD,
    claim_in_sla: within(firsts.claimed ?? null, claimDeadline),
    touch_in_sla: firsts.claimed !== undefined && within(firstTouch, touchDeadline),
    // Where the lead ended up is known: an outcome, a disqualification, or an appointment that was held or missed.
    loop_closed: journey.closed !== null || firsts.disqualified !== undefined || appointments.appointments_held + appointments.appointments_no_show > 0,
    bin_capture_claim: binOf(capture?.at ?? null, firsts.claimed ?? null),
    bin_claim_touch: binOf(firsts.claimed ?? null, firstTouch),
    bin_capture_booked: binOf(capture?.at ?? null, appointments.booked_at),
    bin_booked_held: binOf(appointments.booked_at, appointments.held_at),
  };
  const open = journey.closed === null && firsts.disqualified === undefined;
  return { ...base, ...lastStage(base), is_open: open, state: journey };
}
