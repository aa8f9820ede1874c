import { z } from 'zod';
import {
  actorSchema,
  contactChannelSchema,
  countryCodeSchema,
  emailSchema,
  longTextSchema,
  moneySchema,
  personNameSchema,
  phoneSchema,
  shortTextSchema,
  timeZoneSchema,
  utcInstantSchema,
} from '../primitives.js';

// v1: these payloads only ever gain optional fields. A breaking change (rename, removal, a new required
// field, a narrower enum) ships as a new event type, never as an edit here.
// Produced by the capture service.

/** The door a lead came through; the funnel scorecard is cut by it because each door leaks differently. */
export const entryPathSchema = z.enum(['phone', 'web_form', 'estimate_request', 'chat', 'referral', 'other']);

/** Where the lead came from, in marketing terms. */
export const leadSourceSchema = z.object({
  system: shortTextSchema.meta({ description: 'System that sent the lead, e.g. a form builder or call tracker' }),
  campaign: shortTextSchema.optional(),
  medium: shortTextSchema.optional(),
  referrer: shortTextSchema.optional(),
});

export const contactSchema = z.object({
  name: personNameSchema.optional(),
  email: emailSchema.optional(),
  phone: phoneSchema.optional(),
  preferredChannel: contactChannelSchema.optional(),
});

export const companySchema = z.object({
  name: shortTextSchema.optional(),
  // A head-count range such as '11-50' or '1000+': sources report bands, not exact numbers.
  size: z
    .string()
    .regex(/^\d{1,7}(-\d{1,7}|\+)$/, "must be a head-count range like '11-50' or '1000+'")
    .optional(),
  industry: shortTextSchema.optional(),
  country: countryCodeSchema.optional(),
});

/** What a setter needs to act without re-asking the buyer: the Capture stage's "enough detail". */
export const leadContextSchema = z.object({
  intent: shortTextSchema.optional(),
  painPoints: z.array(shortTextSchema).max(50),
  timeline: shortTextSchema.optional(),
  budgetSignals: z.array(shortTextSchema).max(50),
  stakeholders: z
    .array(
      z.object({
        name: personNameSchema.optional(),
        role: shortTextSchema.optional(),
        isDecisionMaker: z.boolean().optional(),
      }),
    )
    .max(50),
  objections: z.array(shortTextSchema).max(50),
  agreedNextStep: shortTextSchema.optional(),
  notes: longTextSchema.optional(),
});

const attributeKeySchema = z.string().min(1).max(100);

/** Any captured attribute routing rules may match on (flat, so rules stay simple). */
export const leadAttributesSchema = z.record(attributeKeySchema, z.union([z.string().max(1_000), z.number(), z.boolean()]));

export const completenessSchema = z.object({
  score: z.int().min(0).max(100),
  missing: z.array(shortTextSchema).meta({ description: 'Field paths that would raise the score' }),
});

const nullableTimeZone = timeZoneSchema.nullable().optional().meta({ description: 'null when not known yet' });

export const leadCapturedData = z.object({
  entryPath: entryPathSchema,
  source: leadSourceSchema,
  contact: contactSchema,
  timeZone: nullableTimeZone,
  company: companySchema,
  externalIds: z.record(attributeKeySchema, z.string().min(1).max(500)).meta({
    description: 'Ids of this lead in other systems, by system name',
  }),
  context: leadContextSchema,
  attributes: leadAttributesSchema,
  completeness: completenessSchema,
  capturedAt: utcInstantSchema,
});

// Merge-patch semantics: a present key replaces the stored value, an absent key leaves it unchanged.
export const leadUpdatedData = z.object({
  changes: z.object({
    contact: contactSchema.optional(),
    timeZone: nullableTimeZone,
    company: companySchema.optional(),
    context: leadContextSchema.partial().optional(),
    attributes: leadAttributesSchema.optional(),
  }),
  mergedFrom: z
    .object({ entryPath: entryPathSchema, source: leadSourceSchema })
    .optional()
    .meta({ description: 'Set when a duplicate capture was merged into this lead' }),
  completeness: completenessSchema,
});

export const leadContactAttemptedData = z.object({
  channel: contactChannelSchema,
  outcome: z.enum(['no_answer', 'voicemail', 'busy', 'wrong_number', 'bounced', 'connected', 'other']),
  attemptedAt: utcInstantSchema,
  actor: actorSchema,
});

// First real two-way contact: ends the first-touch SLA.
export const leadContactedData = z.object({
  channel: contactChannelSchema,
  contactedAt: utcInstantSchema,
  actor: actorSchema,
});

export const leadQualifiedData = z.object({
  qualification: z.object({
    budget: shortTextSchema.optional(),
    authority: shortTextSchema.optional(),
    need: shortTextSchema.optional(),
    timeline: shortTextSchema.optional(),
    framework: z.enum(['BANT', 'MEDDIC', 'other']).optional(),
    notes: longTextSchema.optional(),
  }),
  qualifiedAt: utcInstantSchema,
  actor: actorSchema,
});

export const leadDisqualifiedData = z.object({
  reason: z.enum(['no_budget', 'no_need', 'no_authority', 'bad_timing', 'unreachable', 'duplicate', 'spam', 'competitor', 'other']),
  detail: longTextSchema.optional(),
  disqualifiedAt: utcInstantSchema,
  actor: actorSchema,
});

export const leadClosedData = z.object({
  outcome: z.enum(['won', 'lost', 'nurture']),
  reason: shortTextSchema.optional(),
  value: moneySchema.optional(),
  closedAt: utcInstantSchema,
  actor: actorSchema,
});

/** Data schemas of the lead entity's own facts, by event type. */
export const leadEventDataSchemas = {
  'lead.captured': leadCapturedData,
  'lead.updated': leadUpdatedData,
  'lead.contact_attempted': leadContactAttemptedData,
  'lead.contacted': leadContactedData,
  'lead.qualified': leadQualifiedData,
  'lead.disqualified': leadDisqualifiedData,
  'lead.closed': leadClosedData,
} as const;
