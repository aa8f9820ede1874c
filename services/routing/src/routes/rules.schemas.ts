import { eventDataSchemas } from '@baton/contracts';
import { z } from 'zod';
import type { StoredRule } from '../db/rule.repository.js';

const captured = eventDataSchemas['lead.captured'].shape;
const attributeValue = z.union([z.string().max(1_000), z.number(), z.boolean()]);
const anyOf = <T extends z.ZodType>(item: T) => z.array(item).min(1).max(100);

/** What a rule matches on: every condition given must hold; a list matches any of its values. */
export const ruleMatchSchema = z
  .strictObject({
    entryPath: anyOf(captured.entryPath).optional(),
    campaign: anyOf(z.string().min(1).max(500)).optional().meta({ description: 'source.campaign of the lead' }),
    country: anyOf(z.string().regex(/^[A-Z]{2}$/, 'must be an ISO-3166-1 alpha-2 code')).optional().meta({ description: 'company.country of the lead' }),
    timeZone: anyOf(z.string().min(1).max(64)).optional().meta({ description: "The lead's IANA time zone" }),
    companySize: z
      .strictObject({ min: z.int().min(0).optional(), max: z.int().min(0).optional() })
      .refine((s) => s.min === undefined || s.max === undefined || s.min <= s.max, { message: 'min must not exceed max', path: ['max'] })
      .optional()
      .meta({ description: "Bounds on the lower end of the lead's head-count band ('11-50' counts as 11)" }),
    attributes: z.record(z.string().min(1).max(100), anyOf(attributeValue)).optional().meta({ description: 'Captured attribute name to accepted values' }),
  })
  .meta({ description: 'An empty match catches every lead. A lead lacking a field never matches a condition on it.' });

const ruleFields = {
  name: z.string().trim().min(1).max(200),
  position: z.int().min(0).max(1_000_000).optional().meta({ description: 'Lower runs first; absent: after the last rule' }),
  queueId: z.uuid(),
  match: ruleMatchSchema,
  active: z.boolean().optional().meta({ description: 'Default true' }),
};

/** POST /v1/rules body. */
export const ruleCreateSchema = z.strictObject(ruleFields);
/** PATCH /v1/rules/{id} body. */
export const rulePatchSchema = z.strictObject(ruleFields).partial();

/** A rule as the API shows it. */
export const ruleViewSchema = z.object({
  id: z.uuid(),
  name: z.string(),
  position: z.int(),
  queueId: z.uuid(),
  match: ruleMatchSchema,
  active: z.boolean(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

/** The API view of a stored rule. */
export function ruleView(r: StoredRule): z.infer<typeof ruleViewSchema> {
  // The stored match is what ruleMatchSchema accepted; the domain type is only wider (entry paths as strings).
  return { ...r, match: r.match as z.infer<typeof ruleMatchSchema>, createdAt: r.createdAt.toISOString(), updatedAt: r.updatedAt.toISOString() };
}
