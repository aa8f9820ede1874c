import type { Kysely } from 'kysely';
import { lockMembers, membersWithRole } from '../db/member.repository.js';
import type { Database } from '../db/schema.js';
import type { Queue, EscalationLevel, Member } from '../domain/types.js';
import type { ResolvedTarget } from '../domain/sla.js';
import { isOutOfOffice, isWithinWorkingHours } from '../domain/working-hours.js';

// Escalations go to people who can act now. Caps do not apply: an escalation is the exception caps give way
// to. A named member who is inactive or away falls back to the rung's role, then to the queue's fallback.

function available(member: Member, now: Date): boolean {
  return member.active && !isOutOfOffice(now, member.outOfOffice) && isWithinWorkingHours(now, member.workingHours, member.timeZone);
}

// Among the role's members: available first, then members of this queue, then the least loaded, then by id.
function bestOf(members: Member[], queue: Queue, now: Date): Member | undefined {
  const rank = (m: Member) => [available(m, now) ? 0 : 1, queue.memberIds.includes(m.id) ? 0 : 1, m.openCount] as const;
  return [...members].sort((a, b) => {
    const [ra, rb] = [rank(a), rank(b)];
    return ra[0] - rb[0] || ra[1] - rb[1] || ra[2] - rb[2] || a.id.localeCompare(b.id);
  })[0];
}

/** The member a rung names or picks by role, or the queue's fallback when neither yields anyone active. */
export async function resolveTarget(trx: Kysely<Database>, tenantId: string, queue: Queue, rung: EscalationLevel, now: Date): Promise<ResolvedTarget> {
  const role = rung.target.role;
  if (rung.target.memberId) {
    const [named] = await lockMembers(trx, [rung.target.memberId]);
    if (named && named.tenantId === tenantId && named.active && !isOutOfOffice(now, named.outOfOffice)) return { member: named, role };
  }
  if (role) {
    const picked = bestOf(await membersWithRole(trx, tenantId, role), queue, now);
    if (picked) return { member: picked, role };
  }
  const [fallback] = await lockMembers(trx, [queue.fallbackMemberId]);
  return { member: fallback ?? null, role };
}
