import type { Kysely } from 'kysely';
import { lockAssignment, saveAssignment } from '../db/assignment.repository.js';
import { releaseOpen } from '../db/member.repository.js';
import { forgetUnrouted } from '../db/unrouted.repository.js';
import type { Database } from '../db/schema.js';
import { isOpenUnclaimed, stoppedClock, type Assignment } from '../domain/assignment.js';

// Later lifecycle facts stop the SLA clocks. Each one bumps the clock's version, so a timer already waiting in
// Redis finds itself stale and does nothing: no need to reach into Redis from inside a database transaction.
// An unrouted lead that is contacted or closed is being handled (or is over) outside routing: it takes that
// state, without an owner, and the unrouted sweep leaves it alone from then on.

type Db = Kysely<Database>;

async function settle(trx: Db, leadId: string, change: (a: Assignment) => Assignment | null): Promise<void> {
  const current = await lockAssignment(trx, leadId);
  // An event of a lead routing never saw changes nothing.
  if (!current) return;
  const next = change(current);
  if (next === null) return;
  if (isOpenUnclaimed(current.state) && current.memberId) await releaseOpen(trx, current.memberId);
  await saveAssignment(trx, next);
  if (current.state === 'unrouted') await forgetUnrouted(trx, leadId);
}

/**
 * The first real contact (lead.contacted, or a qualification or booking, which imply it) ends the claim and
 * first-touch clocks: somebody followed up, which is what both SLAs are there to make sure of.
 */
export async function recordContact(trx: Db, leadId: string, at: Date): Promise<void> {
  await settle(trx, leadId, (a) => {
    if (a.state !== 'assigned' && a.state !== 'claimed' && a.state !== 'unrouted') return null;
    return { ...a, state: 'contacted', contactedAt: at, overdueSince: null, sla: stoppedClock(a.sla.version) };
  });
}

/** A closed or disqualified lead needs no owner's attention any more: every clock stops for good. */
export async function recordClosed(trx: Db, leadId: string, at: Date): Promise<void> {
  await settle(trx, leadId, (a) => {
    if (a.state === 'closed') return null;
    return { ...a, state: 'closed', closedAt: at, overdueSince: null, sla: stoppedClock(a.sla.version) };
  });
}
