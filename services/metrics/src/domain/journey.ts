// The per-lead fold state. Every field is a join of facts (the earliest, the latest, a union), never a
// "last write": folding the same events in any order, or any event twice, ends in the same state. Kafka keeps
// one lead's events in order, but redeliveries, rebuilds from the audit log, batch imports and producers with
// skewed clocks do not, and the funnel must not depend on which of them happened.

/** A value with the fact that set it; ties on time are broken by event id, so arrival order never matters. */
export type Stamped<T> = { at: string; eventId: string; value: T };

/** How a booked appointment ended; absent while it is still open. */
export type TerminalStatus = 'held' | 'no_show' | 'cancelled';

/** One appointment of the lead, folded from its own events (keyed by appointmentId). */
export type Appointment = {
  /** Earliest booking; the envelope time, because appointment.booked carries no time of its own. */
  bookedAt: string | null;
  confirmedAt: string | null;
  /** The latest of held / no-show / cancelled by its own time: a no-show corrected to held ends held. */
  terminal: Stamped<TerminalStatus> | null;
  /** Ids of appointment.rescheduled events, sorted: a set that survives JSON, so a redelivery counts once. */
  reschedules: string[];
};

/** What the capture said about the lead (from the earliest lead.captured). */
export type Capture = { entryPath: string; campaign: string | null; completeness: number };

/** Who set the meeting up and what kind it is (from the latest appointment.booked). */
export type Booking = { setterId: string | null; meetingType: string };

/** How the lead was closed. */
export type Outcome = 'won' | 'lost' | 'nurture';

/** Stages whose first time is all the fold needs (LEAST of every report). */
export type FirstKey = 'assigned' | 'claimed' | 'attempted' | 'contacted' | 'qualified' | 'disqualified';

/** Everything the metrics service knows about one lead. */
export type Journey = {
  tenantId: string;
  leadId: string;
  capture: Stamped<Capture> | null;
  firsts: Partial<Record<FirstKey, string>>;
  /** Deadline of the earliest assignment: a claim after a reassignment does not make up for a missed one. */
  claimDeadline: Stamped<string> | null;
  /** Deadline of the earliest claim that set one. */
  firstTouchDeadline: Stamped<string> | null;
  owner: Stamped<string> | null;
  queue: Stamped<string> | null;
  booking: Stamped<Booking> | null;
  /** The latest outcome by its own time (a lead can go nurture, then won). */
  closed: Stamped<Outcome> | null;
  appointments: Record<string, Appointment>;
};

/** A lead the fold has seen nothing of yet. */
export function emptyJourney(tenantId: string, leadId: string): Journey {
  return {
    tenantId,
    leadId,
    capture: null,
    firsts: {},
    claimDeadline: null,
    firstTouchDeadline: null,
    owner: null,
    queue: null,
    booking: null,
    closed: null,
    appointments: {},
  };
}

/** An appointment the fold has seen nothing of yet. */
export const emptyAppointment = (): Appointment => ({ bookedAt: null, confirmedAt: null, terminal: null, reschedules: [] });

/** Normalised UTC instant (ms precision) so that instants compare as strings. */
export const instant = (iso: string): string => new Date(iso).toISOString();

const before = (a: Stamped<unknown>, b: Stamped<unknown>): boolean => a.at < b.at || (a.at === b.at && a.eventId < b.eventId);

/** The earlier of two stamped values (the current one when they are the same fact). */
export function earliest<T>(current: Stamped<T> | null, next: Stamped<T>): Stamped<T> {
  return current === null || before(next, current) ? next : current;
}

/** The later of two stamped values (the current one when they are the same fact). */
export function latest<T>(current: Stamped<T> | null, next: Stamped<T>): Stamped<T> {
  return current === null || before(current, next) ? next : current;
}

/** The earlier of two instants, either of which may be missing. */
export function minInstant(a: string | null | undefined, b: string | null | undefined): string | null {
  if (a == null) return b ?? null;
  if (b == null) return a;
  return b < a ? b : a;
}
