import type { EventOf, LifecycleEvent } from '@baton/contracts';
import {
  earliest,
  emptyAppointment,
  instant,
  latest,
  minInstant,
  type Appointment,
  type FirstKey,
  type Journey,
  type Stamped,
  type TerminalStatus,
} from './journey.js';

// evolve(journey, event) -> journey: pure, and a join (commutative, associative, idempotent). Each case only
// takes the earliest of times, the latest of stamped values, or a union of ids; never "the value of the event
// that arrived last". Which time counts: the business time in the payload (capturedAt, claimedAt...), since it
// survives re-publishing and batch imports; the envelope time only where the payload has none (booked).
// An event that adds nothing returns the very same journey object, so the projector tells "changed" from
// "already known" by reference, without comparing.

const stamp = <T>(at: string, eventId: string, value: T): Stamped<T> => ({ at: instant(at), eventId, value });

/** The journey with `changes` applied; the same object when every change is already in it. */
function patch(journey: Journey, changes: Partial<Journey>): Journey {
  for (const key of Object.keys(changes) as Array<keyof Journey>) {
    if (changes[key] !== journey[key]) return { ...journey, ...changes };
  }
  return journey;
}

function reach(journey: Journey, key: FirstKey, at: string): Journey {
  const first = minInstant(journey.firsts[key], instant(at));
  return first === journey.firsts[key] ? journey : { ...journey, firsts: { ...journey.firsts, [key]: first } };
}

function withAppointment(journey: Journey, appointmentId: string, change: (a: Appointment) => Appointment): Journey {
  const id = appointmentId.toLowerCase();
  const current = journey.appointments[id];
  const next = change(current ?? emptyAppointment());
  return next === current ? journey : { ...journey, appointments: { ...journey.appointments, [id]: next } };
}

/** The appointment with one field changed; the same object when the value is already there. */
const setField = <K extends keyof Appointment>(a: Appointment, key: K, value: Appointment[K]): Appointment =>
  a[key] === value ? a : { ...a, [key]: value };

function end(journey: Journey, appointmentId: string, terminal: Stamped<TerminalStatus>): Journey {
  return withAppointment(journey, appointmentId, (a) => setField(a, 'terminal', latest(a.terminal, terminal)));
}

function addReschedule(a: Appointment, eventId: string): Appointment {
  return a.reschedules.includes(eventId) ? a : { ...a, reschedules: [...a.reschedules, eventId].sort() };
}

function assertNever(event: never): never {
  throw new Error(`unhandled event type ${(event as { type?: unknown }).type}`);
}

function captured(journey: Journey, event: EventOf<'lead.captured'>, id: string): Journey {
  const { entryPath, source, completeness, capturedAt } = event.data;
  const capture = stamp(capturedAt, id, { entryPath, campaign: source.campaign ?? null, completeness: completeness.score });
  return patch(journey, { capture: earliest(journey.capture, capture) });
}

function assigned(journey: Journey, event: EventOf<'lead.assigned'>, id: string): Journey {
  const { assignedAt, claimDeadline, owner, queueId } = event.data;
  const reached = reach(journey, 'assigned', assignedAt);
  return patch(reached, {
    claimDeadline: earliest(reached.claimDeadline, stamp(assignedAt, id, instant(claimDeadline))),
    owner: latest(reached.owner, stamp(assignedAt, id, owner.memberId.toLowerCase())),
    queue: latest(reached.queue, stamp(assignedAt, id, queueId.toLowerCase())),
  });
}

function claimed(journey: Journey, event: EventOf<'lead.claimed'>, id: string): Journey {
  const { claimedAt, memberId, firstTouchDeadline } = event.data;
  const reached = reach(journey, 'claimed', claimedAt);
  const deadline = firstTouchDeadline === undefined ? null : stamp(claimedAt, id, instant(firstTouchDeadline));
  return patch(reached, {
    firstTouchDeadline: deadline === null ? reached.firstTouchDeadline : earliest(reached.firstTouchDeadline, deadline),
    owner: latest(reached.owner, stamp(claimedAt, id, memberId.toLowerCase())),
  });
}

function reassigned(journey: Journey, event: EventOf<'lead.reassigned'>, id: string): Journey {
  const { reassignedAt, toMemberId, queueId } = event.data;
  return patch(journey, {
    owner: latest(journey.owner, stamp(reassignedAt, id, toMemberId.toLowerCase())),
    queue: latest(journey.queue, stamp(reassignedAt, id, queueId.toLowerCase())),
  });
}

function booked(journey: Journey, event: EventOf<'appointment.booked'>, id: string): Journey {
  const { appointmentId, setterId, bookedBy, meetingType } = event.data;
  const setter = setterId ?? (bookedBy.type === 'member' ? bookedBy.memberId : undefined);
  const withSlot = withAppointment(journey, appointmentId, (a) => setField(a, 'bookedAt', minInstant(a.bookedAt, instant(event.time))));
  return patch(withSlot, { booking: latest(withSlot.booking, stamp(event.time, id, { setterId: setter?.toLowerCase() ?? null, meetingType })) });
}

/** Folds one event into a lead's journey; the result does not depend on event order or repetition. */
export function evolve(journey: Journey, event: LifecycleEvent): Journey {
  const id = event.id.toLowerCase();
  switch (event.type) {
    case 'lead.captured':
      return captured(journey, event, id);
    case 'lead.contact_attempted':
      return reach(journey, 'attempted', event.data.attemptedAt);
    case 'lead.contacted':
      return reach(journey, 'contacted', event.data.contactedAt);
    case 'lead.qualified':
      return reach(journey, 'qualified', event.data.qualifiedAt);
    case 'lead.disqualified':
      return reach(journey, 'disqualified', event.data.disqualifiedAt);
    case 'lead.closed':
      return patch(journey, { closed: latest(journey.closed, stamp(event.data.closedAt, id, event.data.outcome)) });
    case 'lead.assigned':
      return assigned(journey, event, id);
    case 'lead.claimed':
      return claimed(journey, event, id);
    case 'lead.reassigned':
      return reassigned(journey, event, id);
    case 'appointment.booked':
      return booked(journey, event, id);
    case 'appointment.confirmed':
      return withAppointment(journey, event.data.appointmentId, (a) => setField(a, 'confirmedAt', minInstant(a.confirmedAt, instant(event.data.confirmedAt))));
    case 'appointment.rescheduled':
      return withAppointment(journey, event.data.appointmentId, (a) => addReschedule(a, id));
    case 'appointment.cancelled':
      return end(journey, event.data.appointmentId, stamp(event.data.cancelledAt, id, 'cancelled'));
    case 'appointment.held':
      return end(journey, event.data.appointmentId, stamp(event.data.heldAt, id, 'held'));
    case 'appointment.no_show':
      return end(journey, event.data.appointmentId, stamp(event.data.recordedAt, id, 'no_show'));
    // Kept in the audit log and the timeline; they move no stage. SLA misses are measured against the
    // deadlines themselves, so claim_overdue/escalated add nothing the deadlines do not already say.
    case 'lead.updated':
    case 'lead.claim_overdue':
    case 'lead.escalated':
    case 'reminder.scheduled':
    case 'reminder.sent':
    case 'reminder.failed':
      return journey;
    default:
      return assertNever(event);
  }
}
