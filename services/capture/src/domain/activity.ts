import type { Actor, EventData } from '@baton/contracts';
import type { LeadStatus } from './lead.js';

type Data<T extends 'lead.contact_attempted' | 'lead.contacted' | 'lead.qualified' | 'lead.disqualified' | 'lead.closed'> = EventData<T>;

/** Fields every activity carries, resolved by the route (occurredAt defaulted, actor defaulted to the key). */
export type ActivityBase = { occurredAt: Date; actor: Actor };

/** One thing that happened to a lead, as dialers and CRMs report it. */
export type Activity = ActivityBase &
  (
    | { type: 'contact_attempted'; channel: Data<'lead.contact_attempted'>['channel']; outcome: Data<'lead.contact_attempted'>['outcome'] }
    | { type: 'contacted'; channel: Data<'lead.contacted'>['channel'] }
    | { type: 'note'; text: string }
    | { type: 'qualified'; qualification: Data<'lead.qualified'>['qualification'] }
    | { type: 'disqualified'; reason: Data<'lead.disqualified'>['reason']; detail?: string | undefined }
    | { type: 'closed'; outcome: Data<'lead.closed'>['outcome']; reason?: string | undefined; value?: Data<'lead.closed'>['value'] }
  );

/** The activity types a client may post. */
export type ActivityType = Activity['type'];

/** The lifecycle event an activity causes, before it gets an envelope. */
export type ActivityEvent =
  | { type: 'lead.contact_attempted'; data: Data<'lead.contact_attempted'> }
  | { type: 'lead.contacted'; data: Data<'lead.contacted'> }
  | { type: 'lead.qualified'; data: Data<'lead.qualified'> }
  | { type: 'lead.disqualified'; data: Data<'lead.disqualified'> }
  | { type: 'lead.closed'; data: Data<'lead.closed'> };

/** What recording an activity decides: the lead's next status and its event (none for a note), or a conflict. */
export type Decision =
  | { ok: true; status: LeadStatus; event: ActivityEvent | null }
  | { ok: false; code: 'lead_closed' | 'lead_disqualified' | 'already_disqualified'; message: string };

// Working statuses only move forward: a contact attempt after contact does not undo it.
const RANK: Record<LeadStatus, number> = { new: 0, attempting: 1, contacted: 2, qualified: 3, disqualified: -1, closed: -1 };
const advance = (from: LeadStatus, to: LeadStatus): LeadStatus => (RANK[from] >= RANK[to] ? from : to);

const disqualifiedConflict = (what: string): Decision => ({
  ok: false,
  code: 'lead_disqualified',
  message: `The lead is disqualified; record a qualified activity before ${what}`,
});

/**
 * Decides what an activity does to a lead in `status`. A closed lead takes notes only; a disqualified lead
 * can be qualified again or closed (not won), but takes no contact activity until it is re-qualified.
 */
export function decide(activity: Activity, status: LeadStatus): Decision {
  if (status === 'closed' && activity.type !== 'note') {
    return { ok: false, code: 'lead_closed', message: `The lead is closed; only notes can be added to it, not ${activity.type}` };
  }
  const at = activity.occurredAt.toISOString();
  const { actor } = activity;
  switch (activity.type) {
    case 'note':
      // The contracts have no note event: notes are context for people, not a lifecycle step.
      return { ok: true, status, event: null };
    case 'contact_attempted': {
      if (status === 'disqualified') return disqualifiedConflict('contacting it');
      const data = { channel: activity.channel, outcome: activity.outcome, attemptedAt: at, actor };
      return { ok: true, status: advance(status, 'attempting'), event: { type: 'lead.contact_attempted', data } };
    }
    case 'contacted': {
      if (status === 'disqualified') return disqualifiedConflict('contacting it');
      const data = { channel: activity.channel, contactedAt: at, actor };
      return { ok: true, status: advance(status, 'contacted'), event: { type: 'lead.contacted', data } };
    }
    case 'qualified':
      return { ok: true, status: 'qualified', event: { type: 'lead.qualified', data: { qualification: activity.qualification, qualifiedAt: at, actor } } };
    case 'disqualified': {
      if (status === 'disqualified') return { ok: false, code: 'already_disqualified', message: 'The lead is already disqualified' };
      const data = { reason: activity.reason, detail: activity.detail, disqualifiedAt: at, actor };
      return { ok: true, status: 'disqualified', event: { type: 'lead.disqualified', data } };
    }
    case 'closed': {
      if (status === 'disqualified' && activity.outcome === 'won') return disqualifiedConflict('closing it as won');
      const data = { outcome: activity.outcome, reason: activity.reason, value: activity.value, closedAt: at, actor };
      return { ok: true, status: 'closed', event: { type: 'lead.closed', data } };
    }
    default:
      return unreachable(activity);
  }
}

function unreachable(value: never): never {
  throw new Error(`Unhandled activity type: ${JSON.stringify(value)}`);
}
