import type { LifecycleEvent } from '../src/index.js';

// Compile-time check that `LifecycleEvent` narrows on `type`: each branch reads a field only that type's
// data has, and the `never` default stops compiling when a type is added to the catalog without a branch.
export function summarizeEvent(event: LifecycleEvent): string {
  switch (event.type) {
    case 'lead.captured':
      return `captured via ${event.data.entryPath}`;
    case 'lead.updated':
      return `updated, completeness ${event.data.completeness.score}`;
    case 'lead.contact_attempted':
      return `attempt by ${event.data.channel}: ${event.data.outcome}`;
    case 'lead.contacted':
      return `contacted at ${event.data.contactedAt}`;
    case 'lead.qualified':
      return `qualified (${event.data.qualification.framework ?? 'no framework'})`;
    case 'lead.disqualified':
      return `disqualified: ${event.data.reason}`;
    case 'lead.closed':
      return `closed ${event.data.outcome}`;
    case 'lead.assigned':
      return `assigned to ${event.data.owner.memberId} (${event.data.routing.considered.length} considered)`;
    case 'lead.claimed':
      return `claimed after ${event.data.secondsToClaim}s`;
    case 'lead.claim_overdue':
      return `${event.data.sla} overdue since ${event.data.deadline}`;
    case 'lead.escalated':
      return `escalated to level ${event.data.level}`;
    case 'lead.reassigned':
      return `reassigned to ${event.data.toMemberId}`;
    case 'appointment.booked':
      return `booked ${event.data.meetingType} with ${event.data.attendees.length} attendees`;
    case 'appointment.confirmed':
      return `confirmed via ${event.data.via}`;
    case 'appointment.rescheduled':
      return `moved from ${event.data.previousStartAt} to ${event.data.startAt}`;
    case 'appointment.cancelled':
      return `cancelled by ${event.data.cancelledBy}`;
    case 'appointment.held':
      return `held at ${event.data.heldAt}`;
    case 'appointment.no_show':
      return `no-show: ${event.data.noShowParty}`;
    case 'reminder.scheduled':
      return `reminder ${event.data.offsetMinutes} min before`;
    case 'reminder.sent':
      return `reminder sent by ${event.data.channel}`;
    case 'reminder.failed':
      return `reminder failed: ${event.data.error}`;
    default: {
      const unhandled: never = event;
      throw new Error(`unhandled event ${JSON.stringify(unhandled)}`);
    }
  }
}
