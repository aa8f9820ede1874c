import { pickWeighted } from './rotation.js';
import type { Member, Queue, SkipReason } from './types.js';
import { isOutOfOffice, isWithinWorkingHours, localDate } from './working-hours.js';

/** A queue member as the rotation sees it: the member plus its running rotation score in this queue. */
export type Candidate = Member & { score: number };

/** One line of the routing trace (the contract's `considered` item). */
export type Considered = { memberId: string; eligible: boolean; skippedBecause?: SkipReason };

/** Leads the member was given on its local `today`; the counter restarts at the member's midnight. */
export function dayCountOn(member: Pick<Member, 'dayCount' | 'dayOf'>, today: string): number {
  return member.dayOf === today ? member.dayCount : 0;
}

function atCap(member: Member, now: Date): boolean {
  if (member.maxOpen !== null && member.openCount >= member.maxOpen) return true;
  return member.maxPerDay !== null && dayCountOn(member, localDate(now, member.timeZone)) >= member.maxPerDay;
}

/** Why the member cannot take a lead now, checked in a fixed order; undefined when eligible. */
export function skipReasonOf(member: Member, queue: Pick<Queue, 'ignoreWorkingHours'>, now: Date): SkipReason | undefined {
  if (!member.active) return 'inactive';
  if (member.weight <= 0) return 'not_in_rotation';
  if (isOutOfOffice(now, member.outOfOffice)) return 'out_of_office';
  if (!queue.ignoreWorkingHours && !isWithinWorkingHours(now, member.workingHours, member.timeZone)) return 'off_hours';
  if (atCap(member, now)) return 'at_cap';
  return undefined;
}

/** Who gets the lead, why, and the queue's new rotation scores (empty when the fallback took it). */
export type OwnerDecision = { ownerId: string; fallback: boolean; considered: Considered[]; scores: Map<string, number> };

/**
 * Picks the owner among the queue's candidates by weighted rotation over the eligible ones; nobody eligible
 * means the queue's fallback member. `excludeId` (a member releasing the lead) sits this turn out.
 */
export function decideOwner(
  queue: Pick<Queue, 'ignoreWorkingHours' | 'fallbackMemberId'>,
  candidates: readonly Candidate[],
  now: Date,
  excludeId?: string,
): OwnerDecision {
  const considered = candidates.map((member): Considered => {
    const reason = member.id === excludeId ? 'not_in_rotation' : skipReasonOf(member, queue, now);
    return reason === undefined ? { memberId: member.id, eligible: true } : { memberId: member.id, eligible: false, skippedBecause: reason };
  });
  const eligible = new Set(considered.filter((line) => line.eligible).map((line) => line.memberId));
  const pick = pickWeighted(candidates.filter((member) => eligible.has(member.id)));
  if (pick) return { ownerId: pick.winner, fallback: false, considered, scores: pick.scores };
  return { ownerId: queue.fallbackMemberId, fallback: true, considered, scores: new Map() };
}
