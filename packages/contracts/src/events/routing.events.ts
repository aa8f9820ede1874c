import { z } from 'zod';
import { machineCodeSchema, memberRoleSchema, shortTextSchema, slaSchema, utcInstantSchema, uuidSchema } from '../primitives.js';

// v1: additive changes only; a breaking change becomes a new event type. Produced by the routing service.

const skipReasonSchema = z.enum(['off_hours', 'out_of_office', 'at_cap', 'inactive', 'not_in_rotation']);

/** Why this owner and not another: kept on the event so an assignment can be explained after the fact. */
export const routingTraceSchema = z.object({
  ruleId: uuidSchema.nullable().optional(),
  matchedRule: shortTextSchema.optional().meta({ description: 'Name of the matched rule, for humans' }),
  considered: z
    .array(z.object({ memberId: uuidSchema, eligible: z.boolean(), skippedBecause: skipReasonSchema.optional() }))
    .max(500),
  fallback: z.boolean(),
});

export const leadAssignedData = z.object({
  owner: z.object({ memberId: uuidSchema, role: memberRoleSchema }),
  queueId: uuidSchema,
  reason: machineCodeSchema.meta({ examples: ['rule_match', 'fallback', 'reassignment'] }),
  routing: routingTraceSchema,
  assignedAt: utcInstantSchema,
  claimDeadline: utcInstantSchema,
});

export const leadClaimedData = z.object({
  memberId: uuidSchema,
  claimedAt: utcInstantSchema,
  secondsToClaim: z.number().min(0),
  firstTouchDeadline: utcInstantSchema.optional(),
});

export const leadClaimOverdueData = z.object({
  memberId: uuidSchema,
  queueId: uuidSchema,
  deadline: utcInstantSchema,
  overdueAt: utcInstantSchema,
  sla: slaSchema,
});

export const leadEscalatedData = z.object({
  level: z.int().min(1),
  sla: slaSchema,
  action: z.enum(['notify', 'reassign']),
  target: z
    .object({ memberId: uuidSchema.optional(), role: memberRoleSchema.optional() })
    .refine((target) => target.memberId !== undefined || target.role !== undefined, {
      message: 'an escalation target needs a memberId or a role',
    }),
  escalatedAt: utcInstantSchema,
});

export const leadReassignedData = z.object({
  fromMemberId: uuidSchema,
  toMemberId: uuidSchema,
  queueId: uuidSchema,
  reason: z.enum(['escalation', 'release', 'manual', 'member_inactive']),
  reassignedAt: utcInstantSchema,
  claimDeadline: utcInstantSchema,
});

/** Data schemas of ownership and SLA events, by event type. */
export const routingEventDataSchemas = {
  'lead.assigned': leadAssignedData,
  'lead.claimed': leadClaimedData,
  'lead.claim_overdue': leadClaimOverdueData,
  'lead.escalated': leadEscalatedData,
  'lead.reassigned': leadReassignedData,
} as const;
