import { errors } from '@baton/kit';
import type { Kysely } from 'kysely';
import { lockAssignment, saveAssignment } from '../db/assignment.repository.js';
import { lockMembers, releaseOpen } from '../db/member.repository.js';
import { findQueue } from '../db/queue.repository.js';
import type { Database } from '../db/schema.js';
import { dueAfter, stoppedClock, timerOf, type Assignment, type Timer } from '../domain/assignment.js';
import { emit, routingEvent } from './emit.js';

type Db = Kysely<Database>;

/** Who claims what, and when. */
export type ClaimCommand = { tenantId: string; leadId: string; memberId: string; now: Date; correlationId: string; topic: string };

/** The answer to a claim. */
export type ClaimResult = { leadId: string; memberId: string; state: string; claimedAt: string; secondsToClaim: number; firstTouchDeadline: string | null };

/** The lead's assignment for an ownership change by `memberId`: 404 if not the tenant's, 409 if not the owner's. */
export async function ownedAssignment(trx: Db, cmd: Pick<ClaimCommand, 'tenantId' | 'leadId' | 'memberId'>): Promise<Assignment> {
  const a = await lockAssignment(trx, cmd.leadId, cmd.tenantId);
  if (!a) throw errors.notFound('Lead');
  if (a.memberId === null) throw errors.conflict('not_assigned', 'The lead has no owner yet (the tenant has no routing for it)');
  if (a.memberId !== cmd.memberId) throw errors.conflict('not_owner', 'The lead is assigned to another member', { ownerId: a.memberId });
  if (a.state === 'closed') throw errors.conflict('lead_closed', 'The lead is closed');
  return a;
}

function resultOf(a: Assignment): ClaimResult {
  const claimedAt = a.claimedAt ?? a.contactedAt ?? new Date(0);
  const since = a.ownerSince ?? claimedAt;
  return {
    leadId: a.leadId,
    memberId: a.memberId!,
    state: a.state,
    claimedAt: claimedAt.toISOString(),
    secondsToClaim: Math.max(0, (claimedAt.getTime() - since.getTime()) / 1000),
    firstTouchDeadline: a.firstTouchDeadline?.toISOString() ?? null,
  };
}

/**
 * The owner takes responsibility: lead.claimed with the seconds since the lead became theirs, and the first-touch
 * clock starts (if the queue has one). Claiming twice answers the first claim again; anyone else gets a 409.
 */
export async function claimLead(trx: Db, cmd: ClaimCommand): Promise<{ result: ClaimResult; timer: Timer | null }> {
  const a = await ownedAssignment(trx, cmd);
  if (a.state !== 'assigned') return { result: resultOf(a), timer: null };
  const queue = a.queueId === null ? undefined : await findQueue(trx, a.tenantId, a.queueId);
  const [owner] = await lockMembers(trx, [cmd.memberId]);
  const slaSeconds = queue?.firstTouchSlaSeconds ?? null;
  const deadline = queue && owner && slaSeconds !== null ? dueAfter(queue, owner, cmd.now, slaSeconds) : null;
  const sla = deadline ? { kind: 'first_touch' as const, step: 0, level: 0, dueAt: deadline, version: a.sla.version + 1 } : stoppedClock(a.sla.version);
  const next: Assignment = { ...a, state: 'claimed', claimedAt: cmd.now, firstTouchDeadline: deadline, overdueSince: null, sla };
  await saveAssignment(trx, next);
  await releaseOpen(trx, cmd.memberId);
  const result = resultOf(next);
  const data = { memberId: cmd.memberId, claimedAt: result.claimedAt, secondsToClaim: result.secondsToClaim, ...(deadline ? { firstTouchDeadline: deadline.toISOString() } : {}) };
  const meta = { leadId: a.leadId, tenantId: a.tenantId, correlationId: a.correlationId, causationId: cmd.correlationId, time: cmd.now };
  await emit(trx, [routingEvent('lead.claimed', data, meta)], cmd.topic);
  return { result, timer: timerOf(next) };
}
