import { z } from 'zod';
import type { HistoryEntry } from '../db/history.repository.js';
import type { Assignment } from '../domain/assignment.js';
import { iso } from './support.js';

/** Body of claim and release: the member acting (an API key is the tenant's, not a person's). */
export const memberActionSchema = z.strictObject({ memberId: z.uuid().meta({ description: 'The member claiming or releasing; must be the current owner' }) });

/** Answer to a claim. */
export const claimResultSchema = z.object({
  leadId: z.uuid(),
  memberId: z.uuid(),
  state: z.string(),
  claimedAt: z.string(),
  secondsToClaim: z.number(),
  firstTouchDeadline: z.string().nullable(),
});

/** Answer to a release. */
export const releaseResultSchema = z.object({
  leadId: z.uuid(),
  fromMemberId: z.uuid(),
  toMemberId: z.uuid(),
  fallback: z.boolean().meta({ description: 'Nobody in the rotation was eligible; the queue fallback took it' }),
  claimDeadline: z.string(),
});

/** GET /v1/leads/{id}/routing answer. */
export const leadRoutingSchema = z.object({
  leadId: z.uuid(),
  state: z.enum(['unrouted', 'assigned', 'claimed', 'contacted', 'closed']),
  queueId: z.uuid().nullable(),
  ownerId: z.uuid().nullable(),
  assignedAt: z.string().nullable(),
  ownerSince: z.string().nullable(),
  claimDeadline: z.string().nullable(),
  claimedAt: z.string().nullable(),
  firstTouchDeadline: z.string().nullable(),
  contactedAt: z.string().nullable(),
  closedAt: z.string().nullable(),
  overdueSince: z.string().nullable(),
  nextTimer: z
    .object({ sla: z.enum(['claim', 'first_touch']), step: z.int().meta({ description: '0: the SLA deadline; k: ladder rung k' }), dueAt: z.string() })
    .nullable(),
  history: z.array(z.object({ eventId: z.uuid(), type: z.string(), at: z.string(), data: z.record(z.string(), z.unknown()) })).meta({
    description: 'Every routing event of the lead, oldest first: assignment with its trace, claims, overdues, escalations, reassignments',
  }),
});

/** The API view of a lead's routing. */
export function routingView(a: Assignment, history: HistoryEntry[]): z.infer<typeof leadRoutingSchema> {
  const { kind, step, dueAt } = a.sla;
  return {
    leadId: a.leadId,
    state: a.state,
    queueId: a.queueId,
    ownerId: a.memberId,
    assignedAt: iso(a.assignedAt),
    ownerSince: iso(a.ownerSince),
    claimDeadline: iso(a.claimDeadline),
    claimedAt: iso(a.claimedAt),
    firstTouchDeadline: iso(a.firstTouchDeadline),
    contactedAt: iso(a.contactedAt),
    closedAt: iso(a.closedAt),
    overdueSince: iso(a.overdueSince),
    nextTimer: kind !== null && dueAt !== null ? { sla: kind, step, dueAt: dueAt.toISOString() } : null,
    history: history.map((entry) => ({ eventId: entry.eventId, type: entry.type, at: entry.at.toISOString(), data: entry.data })),
  };
}
