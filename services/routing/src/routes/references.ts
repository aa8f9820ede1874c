import type { FieldError } from '@baton/kit';
import type { Kysely } from 'kysely';
import { existingMemberIds } from '../db/member.repository.js';
import { findQueue } from '../db/queue.repository.js';
import type { Database } from '../db/schema.js';
import type { EscalationLadders } from '../domain/types.js';
import { invalidFields } from './support.js';

// Ids in a body must name the caller's own members and queues. Another tenant's id is reported exactly like a
// made-up one, so a body cannot be used to probe which ids exist elsewhere.

type QueueRefs = { memberIds?: string[] | undefined; fallbackMemberId?: string | undefined; escalation?: EscalationLadders | undefined };

function memberRefs(body: QueueRefs): Array<{ field: string; id: string }> {
  const refs = (body.memberIds ?? []).map((id, i) => ({ field: `body.memberIds.${i}`, id }));
  if (body.fallbackMemberId) refs.push({ field: 'body.fallbackMemberId', id: body.fallbackMemberId });
  for (const ladder of ['claim', 'firstTouch'] as const) {
    (body.escalation?.[ladder] ?? []).forEach((level, i) => {
      if (level.target.memberId) refs.push({ field: `body.escalation.${ladder}.${i}.target.memberId`, id: level.target.memberId });
    });
  }
  return refs;
}

/** 400 naming every member id of a queue body that is not one of the tenant's members. */
export async function checkQueueReferences(db: Kysely<Database>, tenantId: string, body: QueueRefs): Promise<void> {
  const refs = memberRefs(body);
  const known = await existingMemberIds(db, tenantId, [...new Set(refs.map((ref) => ref.id))]);
  const unknown: FieldError[] = refs.filter((ref) => !known.has(ref.id)).map((ref) => ({ field: ref.field, message: 'is not a member of this tenant' }));
  if (unknown.length > 0) throw invalidFields(unknown);
}

/** 400 when a rule's queue is not one of the tenant's queues. */
export async function checkRuleReferences(db: Kysely<Database>, tenantId: string, queueId: string | undefined): Promise<void> {
  if (queueId === undefined) return;
  if (!(await findQueue(db, tenantId, queueId))) throw invalidFields([{ field: 'body.queueId', message: 'is not a queue of this tenant' }]);
}
