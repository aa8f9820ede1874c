import type { AssignmentState, Member, Queue, SlaKind } from './types.js';
import { addWorkingTime } from './working-hours.js';

/**
 * The one pending SLA timer of a lead. `step` 0 waits for the SLA deadline itself; step k waits for rung k of
 * the ladder. `level` is the last rung fired for this SLA (a reassigning rung restarts the deadline but the
 * ladder carries on from the next rung). `version` grows with every change, so a timer for an older state
 * is recognisably stale.
 */
export type SlaClock = { kind: SlaKind | null; step: number; level: number; dueAt: Date | null; version: number };

/** Routing's record of one lead: owner, state, deadlines, the pending timer. One per lead, ever. */
export type Assignment = {
  leadId: string;
  tenantId: string;
  queueId: string | null;
  memberId: string | null;
  state: AssignmentState;
  correlationId: string;
  assignedAt: Date | null;
  /** When the current owner got the lead: claim time is measured from here, and the backlog is ordered by it. */
  ownerSince: Date | null;
  claimDeadline: Date | null;
  claimedAt: Date | null;
  firstTouchDeadline: Date | null;
  contactedAt: Date | null;
  closedAt: Date | null;
  overdueSince: Date | null;
  sla: SlaClock;
};

/** A pending SLA step as BullMQ carries it. */
export type Timer = { leadId: string; kind: SlaKind; step: number; version: number; dueAt: Date };

/** The lead's pending timer, if any. */
export function timerOf(assignment: Pick<Assignment, 'leadId' | 'sla'>): Timer | null {
  const { kind, step, version, dueAt } = assignment.sla;
  if (kind === null || dueAt === null) return null;
  return { leadId: assignment.leadId, kind, step, version, dueAt };
}

/**
 * Deterministic BullMQ job id of a timer: scheduling it twice (a retry, a rebuild after Redis lost its data)
 * is a no-op. Dashes, not colons: BullMQ rejects custom ids with ':' (it uses them in its own keys).
 */
export function timerJobId(timer: Omit<Timer, 'dueAt'>): string {
  return `sla-${timer.leadId}-${timer.kind}-${timer.step}-v${timer.version}`;
}

/** `seconds` after `from` on the queue's SLA clock: wall-clock, or the owner's working time. */
export function dueAfter(queue: Pick<Queue, 'businessHoursOnly'>, owner: Pick<Member, 'workingHours' | 'timeZone'>, from: Date, seconds: number): Date {
  if (!queue.businessHoursOnly) return new Date(from.getTime() + seconds * 1000);
  return addWorkingTime(from, seconds, owner.workingHours, owner.timeZone);
}

/** A fresh claim clock for a new owner: the deadline is the first step. */
export function claimClock(deadline: Date, version: number, level = 0): SlaClock {
  return { kind: 'claim', step: 0, level, dueAt: deadline, version: version + 1 };
}

/** No timer pending (claimed without a first-touch SLA, contacted, closed). */
export function stoppedClock(version: number): SlaClock {
  return { kind: null, step: 0, level: 0, dueAt: null, version: version + 1 };
}

/** Whether the lead still counts against the owner's open-unclaimed cap. */
export function isOpenUnclaimed(state: AssignmentState): boolean {
  return state === 'assigned';
}
