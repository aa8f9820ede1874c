import type { Kysely } from 'kysely';
import { lockAssignment, saveAssignment } from '../db/assignment.repository.js';
import { countAssignment, lockMembers, releaseOpen } from '../db/member.repository.js';
import { findQueue } from '../db/queue.repository.js';
import type { Database } from '../db/schema.js';
import { isOpenUnclaimed, stoppedClock, timerOf, type Assignment, type Timer } from '../domain/assignment.js';
import { fireStep, rungOf, type StepOutcome } from '../domain/sla.js';
import { localDate } from '../domain/working-hours.js';
import { emit, routingEvent } from './emit.js';
import { resolveTarget } from './escalation-target.js';

type Db = Kysely<Database>;

/** What became of a fired timer: done (with the next timer, if any), stale, or early (not due yet). */
export type FireResult = { outcome: 'fired' | 'stale'; next: Timer | null } | { outcome: 'early'; dueAt: Date };

function isCurrent(a: Assignment, timer: Omit<Timer, 'dueAt'>): boolean {
  return a.sla.kind === timer.kind && a.sla.step === timer.step && a.sla.version === timer.version && a.sla.dueAt !== null;
}

async function applyOutcome(trx: Db, before: Assignment, outcome: StepOutcome, now: Date, topic: string): Promise<void> {
  await saveAssignment(trx, outcome.next);
  const to = outcome.reassignedTo;
  if (to) {
    if (isOpenUnclaimed(before.state) && before.memberId) await releaseOpen(trx, before.memberId);
    await countAssignment(trx, to.id, localDate(now, to.timeZone));
  }
  const meta = { leadId: before.leadId, tenantId: before.tenantId, correlationId: before.correlationId, time: now };
  await emit(trx, outcome.emissions.map((e) => routingEvent(e.type, e.data as never, meta)), topic);
}

/**
 * Runs one SLA step in a transaction. Postgres is the truth: the assignment is re-read under a lock, and a
 * timer that no longer matches it (claimed, contacted, closed or rescheduled since) does nothing. Events go
 * out through the outbox; the caller schedules the returned next timer after the commit.
 */
export async function fireTimer(db: Db, timer: Omit<Timer, 'dueAt'>, deps: { clock: () => Date; topic: string }): Promise<FireResult> {
  return db.transaction().execute(async (trx): Promise<FireResult> => {
    const a = await lockAssignment(trx, timer.leadId);
    if (!a || !isCurrent(a, timer)) return { outcome: 'stale', next: null };
    const now = deps.clock();
    if (a.sla.dueAt!.getTime() > now.getTime()) return { outcome: 'early', dueAt: a.sla.dueAt! };
    const queue = a.queueId === null ? undefined : await findQueue(trx, a.tenantId, a.queueId);
    const [owner] = a.memberId === null ? [] : await lockMembers(trx, [a.memberId]);
    if (!queue || !owner) {
      // The queue or owner was deleted under the lead: stop the clock rather than fail forever.
      await saveAssignment(trx, { ...a, sla: stoppedClock(a.sla.version) });
      return { outcome: 'stale', next: null };
    }
    const rung = rungOf(a, queue);
    const target = rung ? await resolveTarget(trx, a.tenantId, queue, rung, now) : null;
    const outcome = fireStep({ assignment: a, queue, owner, target, now });
    await applyOutcome(trx, a, outcome, now, deps.topic);
    return { outcome: 'fired', next: timerOf(outcome.next) };
  });
}
