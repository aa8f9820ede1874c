import { eventDataSchemas } from '@baton/contracts';
import { z } from 'zod';

// Built from the contracts of the events each activity causes. Strict: an activity is a purpose-built call,
// so a `reason` on a `contacted` activity is a client bug worth a 400, not something to drop silently.
const attempted = eventDataSchemas['lead.contact_attempted'].shape;
const qualified = eventDataSchemas['lead.qualified'].shape;
const disqualified = eventDataSchemas['lead.disqualified'].shape;
const closed = eventDataSchemas['lead.closed'].shape;

const common = {
  occurredAt: z.iso
    .datetime({ offset: true })
    .optional()
    .meta({ description: 'When it happened (dialers report calls after the fact); defaults to now, may not be in the future' }),
  actor: attempted.actor.optional().meta({ description: 'Who did it; defaults to the integration behind the API key' }),
};

/** The body of POST /v1/leads/{id}/activities, one shape per activity type. */
export const activityInputSchema = z
  .discriminatedUnion('type', [
    z.strictObject({ type: z.literal('contact_attempted'), channel: attempted.channel, outcome: attempted.outcome, ...common }),
    z.strictObject({ type: z.literal('contacted'), channel: attempted.channel, ...common }),
    z.strictObject({ type: z.literal('note'), text: z.string().min(1).max(10_000), ...common }),
    z.strictObject({ type: z.literal('qualified'), qualification: qualified.qualification.strict(), ...common }),
    z.strictObject({ type: z.literal('disqualified'), reason: disqualified.reason, detail: disqualified.detail, ...common }),
    z.strictObject({ type: z.literal('closed'), outcome: closed.outcome, reason: closed.reason, value: closed.value, ...common }),
  ])
  .meta({ id: 'NewActivity' });

/** The answer to a recorded activity. */
export const activityResultSchema = z.object({
  activityId: z.uuid(),
  leadId: z.uuid(),
  type: z.string(),
  leadStatus: z.enum(['new', 'attempting', 'contacted', 'qualified', 'disqualified', 'closed']),
  event: z.string().nullable().meta({ description: 'The lifecycle event it caused; null for a note' }),
});
