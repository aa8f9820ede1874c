import type { LifecycleEvent } from '@baton/contracts';

// Who or what caused an event, for the timeline. Payloads say it in different words (actor, memberId,
// bookedBy, cancelledBy...); this is the one place that knows them all. Events without a human behind them
// are attributed to the producing service (the envelope's source).

/** The cause of an event: a team member, the buyer, an integration, or Baton itself. */
export type TimelineActor = { type: 'member' | 'buyer' | 'integration' | 'system'; id: string | null };

const system = (event: LifecycleEvent): TimelineActor => ({ type: 'system', id: event.source });

function changedBy(event: LifecycleEvent, by: 'buyer' | 'member' | 'system', memberId?: string): TimelineActor {
  if (by === 'buyer') return { type: 'buyer', id: null };
  if (by === 'member') return { type: 'member', id: memberId ?? null };
  return system(event);
}

function assertNever(event: never): never {
  throw new Error(`unhandled event type ${(event as { type?: unknown }).type}`);
}

/** The actor of an event as the timeline shows it. */
export function actorOf(event: LifecycleEvent): TimelineActor {
  switch (event.type) {
    case 'lead.contact_attempted':
    case 'lead.contacted':
    case 'lead.qualified':
    case 'lead.disqualified':
    case 'lead.closed':
      return event.data.actor;
    case 'lead.claimed':
      return { type: 'member', id: event.data.memberId };
    case 'appointment.booked':
      return changedBy(event, event.data.bookedBy.type, event.data.bookedBy.memberId);
    case 'appointment.rescheduled':
      return changedBy(event, event.data.rescheduledBy);
    case 'appointment.cancelled':
      return changedBy(event, event.data.cancelledBy);
    case 'appointment.confirmed':
      // The buyer confirms through a link or a reply; "manual" means someone on the team recorded it.
      return event.data.via === 'manual' ? { type: 'member', id: null } : { type: 'buyer', id: null };
    case 'lead.captured':
    case 'lead.updated':
    case 'lead.assigned':
    case 'lead.claim_overdue':
    case 'lead.escalated':
    case 'lead.reassigned':
    case 'appointment.held':
    case 'appointment.no_show':
    case 'reminder.scheduled':
    case 'reminder.sent':
    case 'reminder.failed':
      return system(event);
    default:
      return assertNever(event);
  }
}
