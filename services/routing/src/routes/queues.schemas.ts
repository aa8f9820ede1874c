import { z } from 'zod';
import type { StoredQueue } from '../db/queue.repository.js';
import { MEMBER_ROLES } from '../domain/types.js';

const WEEK_SECONDS = 7 * 24 * 3600;

const levelSchema = z.strictObject({
  target: z
    .strictObject({ memberId: z.uuid().optional(), role: z.enum(MEMBER_ROLES).optional() })
    .refine((t) => t.memberId !== undefined || t.role !== undefined, { message: 'a target needs a memberId or a role' })
    .meta({ description: 'A named member, or the best placed active member of a role (a named member who is away falls back to the role, then to the queue fallback)' }),
  action: z.enum(['notify', 'reassign']),
  afterSeconds: z.int().min(0).max(WEEK_SECONDS).meta({ description: 'Fires this long after the previous rung (rung 1: after the breach), on the queue\'s SLA clock' }),
});

const laddersSchema = z.strictObject({
  claim: z.array(levelSchema).max(10).default([]),
  firstTouch: z.array(levelSchema).max(10).default([]),
});

const queueFields = {
  name: z.string().trim().min(1).max(200),
  memberIds: z.array(z.uuid()).max(500).refine((ids) => new Set(ids).size === ids.length, { message: 'must not repeat a member' }).meta({ description: 'Members in the rotation' }),
  fallbackMemberId: z.uuid().meta({ description: 'Gets the lead when nobody in the rotation is eligible' }),
  claimSlaSeconds: z.int().min(1).max(WEEK_SECONDS).optional().meta({ description: 'Default 300 (5 minutes)' }),
  firstTouchSlaSeconds: z.int().min(1).max(WEEK_SECONDS).nullable().optional().meta({ description: 'From the claim to lead.contacted; null or absent: none' }),
  businessHoursOnly: z.boolean().optional().meta({ description: "SLA clocks count only the owner's working hours (default false)" }),
  ignoreWorkingHours: z.boolean().optional().meta({ description: 'Assign regardless of working hours (default false)' }),
  isDefault: z.boolean().optional().meta({ description: 'Where leads go when no rule matches; setting it moves the default here' }),
  escalation: laddersSchema.optional(),
};

/** POST /v1/queues body. */
export const queueCreateSchema = z.strictObject(queueFields);
/** PATCH /v1/queues/{id} body. */
export const queuePatchSchema = z.strictObject(queueFields).partial();

const levelView = z.object({ target: z.object({ memberId: z.string().optional(), role: z.enum(MEMBER_ROLES).optional() }), action: z.enum(['notify', 'reassign']), afterSeconds: z.int() });

/** A queue as the API shows it. */
export const queueViewSchema = z.object({
  id: z.uuid(),
  name: z.string(),
  memberIds: z.array(z.uuid()),
  fallbackMemberId: z.uuid(),
  claimSlaSeconds: z.int(),
  firstTouchSlaSeconds: z.int().nullable(),
  businessHoursOnly: z.boolean(),
  ignoreWorkingHours: z.boolean(),
  isDefault: z.boolean(),
  escalation: z.object({ claim: z.array(levelView), firstTouch: z.array(levelView) }),
  createdAt: z.string(),
  updatedAt: z.string(),
});

/** The API view of a stored queue. */
export function queueView(q: StoredQueue): z.infer<typeof queueViewSchema> {
  const { tenantId: _tenant, createdAt, updatedAt, ...rest } = q;
  return { ...rest, createdAt: createdAt.toISOString(), updatedAt: updatedAt.toISOString() };
}

/** One lead of a queue's backlog. */
export const backlogItemSchema = z.object({
  leadId: z.uuid(),
  memberId: z.uuid().nullable(),
  state: z.enum(['assigned', 'claimed']).meta({ description: 'assigned: waiting for a claim; claimed: waiting for first touch, overdue' }),
  ownerSince: z.string().nullable(),
  deadline: z.string().nullable().meta({ description: 'Claim deadline (assigned) or first-touch deadline (claimed)' }),
  overdue: z.boolean(),
  overdueSince: z.string().nullable(),
  escalationLevel: z.int().meta({ description: 'Last ladder rung fired for the running SLA' }),
});

/** GET /v1/queues/{id}/backlog answer. */
export const backlogSchema = z.object({ queueId: z.uuid(), asOf: z.string(), leads: z.array(backlogItemSchema) });
