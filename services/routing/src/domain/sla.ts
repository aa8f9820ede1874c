import type { EventData } from '@baton/contracts';
import { dueAfter, type Assignment } from './assignment.js';
import { contractRole } from './roles.js';
import type { EscalationLevel, Member, MemberRole, Queue, SlaKind } from './types.js';

// What happens when an SLA timer fires, as a pure decision: given the lead's assignment (already re-read and
// locked by the caller), its queue, the current owner and the resolved escalation target, which events to
// emit and what the assignment becomes.
//
// Ladder timing: rung 1 fires `afterSeconds` after the breach, rung k after rung k-1. A reassigning rung gives
// the new owner a fresh claim deadline; if that passes too, the lead is overdue again and the ladder carries on
// from the next rung. Past the last rung nothing more is scheduled: the lead stays overdue in the backlog.

/** An event routing emits when a timer fires, before it gets its envelope. */
export type Emission =
  | { type: 'lead.claim_overdue'; data: EventData<'lead.claim_overdue'> }
  | { type: 'lead.escalated'; data: EventData<'lead.escalated'> }
  | { type: 'lead.reassigned'; data: EventData<'lead.reassigned'> };

/** The person (if any) an escalation rung resolved to, and the role it named. */
export type ResolvedTarget = { member: Member | null; role?: MemberRole | undefined };

/** Everything fireStep decides from. */
export type StepInput = { assignment: Assignment; queue: Queue; owner: Member; target: ResolvedTarget | null; now: Date };

/** The events, the new assignment, and the new owner when the rung reassigned. */
export type StepOutcome = { emissions: Emission[]; next: Assignment; reassignedTo: Member | null };

/** The ladder of an SLA. */
export function ladderOf(queue: Pick<Queue, 'escalation'>, kind: SlaKind): EscalationLevel[] {
  return kind === 'claim' ? queue.escalation.claim : queue.escalation.firstTouch;
}

/** The rung a pending step fires (undefined for step 0, the breach itself). */
export function rungOf(assignment: Assignment, queue: Queue): EscalationLevel | undefined {
  const { kind, step } = assignment.sla;
  return kind === null || step === 0 ? undefined : ladderOf(queue, kind)[step - 1];
}

// Schedules rung `level + 1` if the ladder has one; otherwise the clock stops.
function afterRung(input: StepInput, level: number, base: Assignment): Assignment {
  const kind = base.sla.kind ?? 'claim';
  const rung = ladderOf(input.queue, kind)[level];
  const version = base.sla.version + 1;
  if (rung === undefined) return { ...base, sla: { kind, step: 0, level, dueAt: null, version } };
  const dueAt = dueAfter(input.queue, input.owner, input.now, rung.afterSeconds);
  return { ...base, sla: { kind, step: level + 1, level, dueAt, version } };
}

function breach(input: StepInput, kind: SlaKind): StepOutcome {
  const { assignment, queue, now } = input;
  const deadline = assignment.sla.dueAt ?? now;
  const data = { memberId: input.owner.id, queueId: queue.id, deadline: deadline.toISOString(), overdueAt: now.toISOString(), sla: kind };
  const overdue = { ...assignment, overdueSince: assignment.overdueSince ?? now };
  return { emissions: [{ type: 'lead.claim_overdue', data }], next: afterRung(input, assignment.sla.level, overdue), reassignedTo: null };
}

function escalatedData(level: number, kind: SlaKind, rung: EscalationLevel, target: ResolvedTarget | null, now: Date): EventData<'lead.escalated'> {
  const role = target?.member?.role ?? target?.role ?? rung.target.role;
  const memberId = target?.member?.id ?? rung.target.memberId;
  return {
    level,
    sla: kind,
    action: rung.action,
    target: { ...(memberId === undefined ? {} : { memberId }), ...(role === undefined ? {} : { role: contractRole(role) }) },
    escalatedAt: now.toISOString(),
  };
}

function reassign(input: StepInput, level: number, to: Member, escalated: Emission): StepOutcome {
  const { assignment, queue, now } = input;
  const claimDeadline = dueAfter(queue, to, now, queue.claimSlaSeconds);
  // A first-touch rung that reassigns hands the lead to someone who has to claim it: the claim ladder applies.
  const level0 = assignment.sla.kind === 'claim' ? level : 0;
  const next: Assignment = {
    ...assignment,
    memberId: to.id,
    state: 'assigned',
    ownerSince: now,
    claimDeadline,
    claimedAt: null,
    firstTouchDeadline: null,
    overdueSince: null,
    sla: { kind: 'claim', step: 0, level: level0, dueAt: claimDeadline, version: assignment.sla.version + 1 },
  };
  const data = {
    fromMemberId: input.owner.id,
    toMemberId: to.id,
    queueId: queue.id,
    reason: 'escalation' as const,
    reassignedAt: now.toISOString(),
    claimDeadline: claimDeadline.toISOString(),
  };
  return { emissions: [escalated, { type: 'lead.reassigned', data }], next, reassignedTo: to };
}

function escalate(input: StepInput, kind: SlaKind): StepOutcome {
  const { assignment, queue, target, now } = input;
  const level = assignment.sla.step;
  const rung = ladderOf(queue, kind)[level - 1];
  // The queue's ladder was shortened after this timer was set: nothing left to fire.
  if (rung === undefined) return { emissions: [], next: afterRung(input, ladderOf(queue, kind).length, assignment), reassignedTo: null };
  const escalated: Emission = { type: 'lead.escalated', data: escalatedData(level, kind, rung, target, now) };
  const to = target?.member ?? null;
  if (rung.action === 'reassign' && to !== null && to.id !== input.owner.id) return reassign(input, level, to, escalated);
  // A notify rung, or a reassign with nobody else to take the lead: the ladder moves on.
  return { emissions: [escalated], next: afterRung(input, level, assignment), reassignedTo: null };
}

/** Decides the effect of the lead's pending SLA step, which the caller has checked is current and due. */
export function fireStep(input: StepInput): StepOutcome {
  const kind = input.assignment.sla.kind;
  if (kind === null) return { emissions: [], next: input.assignment, reassignedTo: null };
  return input.assignment.sla.step === 0 ? breach(input, kind) : escalate(input, kind);
}
