import { eventDataSchemas, isIanaTimeZone } from '@baton/contracts';
import { z } from 'zod';
import { MAX_RAW_PHONE_LENGTH, normaliseEmail } from '../domain/normalise.js';

// Request and response shapes of the lead routes, built from the lead.captured contract so that what a
// client may send is exactly what Baton can store and publish.
//
// Strictness: unknown keys are a 400 wherever a typo would silently lose data (`contact.emial` would leave a
// lead unreachable and its completeness wrong). Two places tolerate extras on purpose: `source`, because
// tracking tools append parameters of their own (gclid, utm_term...) that are dropped, and `attributes` /
// `externalIds`, which are open maps by design: that is where an integration puts what Baton does not model.
const captured = eventDataSchemas['lead.captured'].shape;

const MAX_MAP_KEYS = 100;
const boundedMap = <T extends z.ZodType>(schema: T) =>
  schema.refine((map) => Object.keys(map as object).length <= MAX_MAP_KEYS, { message: `must have at most ${MAX_MAP_KEYS} keys` });

const contactInput = z.strictObject({
  name: z.string().max(200).optional(),
  // Checked here, not only when normalising, so one answer names it together with every other bad field.
  email: z.string().max(320).refine((raw) => 'email' in normaliseEmail(raw), { message: 'must be an email address' }).optional().meta({ description: 'Trimmed and lower-cased before it is stored', examples: ['ada@example.com'] }),
  phone: z.string().max(MAX_RAW_PHONE_LENGTH).optional().meta({
    description: "Any common format; stored as E.164. National numbers are read in the tenant's default region",
    examples: ['+1 415 555 2671', '(415) 555-2671'],
  }),
  preferredChannel: captured.contact.shape.preferredChannel,
});

/** The body of POST /v1/leads (and one item of a batch). */
export const leadInputSchema = z
  .strictObject({
    entryPath: captured.entryPath,
    contact: contactInput.optional(),
    // Checked here with the other fields (the phone is checked after: it needs the tenant's region).
    timeZone: z.string().max(64).refine(isIanaTimeZone, { message: 'must be an IANA time zone name' }).nullable().optional().meta({
      description: "IANA time zone name; when absent, inferred from the phone's country if that country has a single zone",
      examples: ['America/Chicago', 'Europe/Paris'],
    }),
    company: captured.company.strict().optional(),
    source: captured.source.optional().meta({ description: 'Unknown keys are ignored; defaults to { system: "unspecified" }' }),
    externalIds: boundedMap(captured.externalIds).optional(),
    context: captured.context.partial().strict().optional(),
    attributes: boundedMap(captured.attributes).optional(),
  })
  .meta({ id: 'NewLead' });

/** Score 0-100 and the requirements still unmet (`a|b` means either field). */
export const completenessSchema = captured.completeness;

/** The answer to one capture: a new lead, or the existing lead a duplicate joined. */
export const captureResultSchema = z.object({
  leadId: z.uuid(),
  status: z.enum(['created', 'merged']),
  joinedLeadId: z.uuid().optional().meta({ description: 'Set when the capture was merged into this existing lead' }),
  completeness: completenessSchema,
});

/** A stored lead as the API shows it. */
export const leadViewSchema = z
  .object({
    id: z.uuid(),
    entryPath: captured.entryPath,
    status: z.enum(['new', 'attempting', 'contacted', 'qualified', 'disqualified', 'closed']),
    contact: captured.contact,
    timeZone: z.string().nullable(),
    company: captured.company,
    source: captured.source,
    externalIds: z.record(z.string(), z.string()),
    context: captured.context,
    attributes: captured.attributes,
    completeness: completenessSchema,
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .meta({ id: 'Lead' });

export const leadIdParamsSchema = z.strictObject({ id: z.uuid() });
