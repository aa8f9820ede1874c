import { errors } from '@baton/kit';
import type { Kysely } from 'kysely';
import { saveAssignment } from '../db/assignment.repository.js';
import { countAssignment, lockCandidates, lockMembers, releaseOpen } from '../db/member.repository.js';
import { lockQueue, saveScores } from '../db/queue.repository.js';
import type { Database } from '../db/schema.js';
import { claimClock, dueAfter, isOpenUnclaimed, timerOf, type Assignment, type Timer } from '../domain/assignment.js';
import { decideOwner } from '../domain/eligibility.js';
import { localDate } from '../domain/working-hours.js';
import { ownedAssignment, type ClaimCommand } from './claim-lead.js';
import { emit, routingEvent } from './emit.js';

type Db = Kysely<Database>;

/** The answer to a release. */
export type ReleaseResult = { leadId: string; fromMemberId: string; toMemberId: string; fallback: boolean; claimDeadline: string };

/**
 * The owner hands the lead back: the queue's rotation picks someone else (the releaser sits this turn out), under
 * the same queue lock as any assignment, and the new owner gets a fresh claim deadline.
 */
export async function releaseLead(trx: Db, cmd: ClaimCommand): Promise<{ result: ReleaseResult; timer: Timer | null }> {
  const a = await ownedAssignment(trx, cmd);
  if (a.state !== 'assigned' && a.state !== 'claimed') throw errors.conflict('not_releasable', `A ${a.state} lead cannot be released`);
  const queue = a.queueId === null ? undefined : await lockQueue(trx, a.queueId);
  if (!queue) throw errors.conflict('queue_deleted', 'The lead\'s queue no longer exists');
  const candidates = await lockCandidates(trx, queue.id);
  const decision = decideOwner(queue, candidates, cmd.now, cmd.memberId);
  if (decision.ownerId === cmd.memberId) throw errors.conflict('no_other_member', 'Nobody else in the queue can take the lead');
  const to = candidates.find((c) => c.id === decision.ownerId) ?? (await lockMembers(trx, [decision.ownerId]))[0];
  if (!to) throw errors.conflict('no_other_member', 'Nobody else in the queue can take the lead');
  const claimDeadline = dueAfter(queue, to, cmd.now, queue.claimSlaSeconds);
  const next: Assignment = { ...a, memberId: to.id, state: 'assigned', ownerSince: cmd.now, claimDeadline, claimedAt: null, firstTouchDeadline: null, overdueSince: null, sla: claimClock(claimDeadline, a.sla.version) };
  await saveAssignment(trx, next);
  await saveScores(trx, queue.id, decision.scores);
  if (isOpenUnclaimed(a.state)) await releaseOpen(trx, cmd.memberId);
  await countAssignment(trx, to.id, localDate(cmd.now, to.timeZone));
  const data = { fromMemberId: cmd.memberId, toMemberId: to.id, queueId: queue.id, reason: 'release' as const, reassignedAt: cmd.now.toISOString(), claimDeadline: claimDeadline.toISOString() };
  await emit(trx, [routingEvent('lead.reassigned', data, { leadId: a.leadId, tenantId: a.tenantId, correlationId: a.correlationId, causationId: cmd.correlationId, time: cmd.now })], cmd.topic);
  return { result: { leadId: a.leadId, fromMemberId: cmd.memberId, toMemberId: to.id, fallback: decision.fallback, claimDeadline: data.claimDeadline }, timer: timerOf(next) };
}
