import { randomUUID } from 'node:crypto';
import { enqueue } from '@baton/kafka';
import { errors } from '@baton/kit';
import type { Transaction } from 'kysely';
import { insertActivity } from '../db/activity.repository.js';
import { findLead, updateLeadStatus } from '../db/lead.repository.js';
import type { Database } from '../db/schema.js';
import { decide, type Activity } from '../domain/activity.js';
import type { LeadStatus } from '../domain/lead.js';
import { activityRecorded } from '../domain/lead-events.js';

/** Who records the activity, when, and the topic its event goes to. */
export type ActivityContext = { tenantId: string; correlationId: string; now: Date; topic: string };

/** The stored activity, the lead's status after it and the event it caused (null for notes). */
export type ActivityResult = { activityId: string; leadStatus: LeadStatus; event: string | null };

/**
 * Records an activity on the tenant's lead: 404 for a lead the tenant does not have, 409 for a transition
 * the lead's status does not allow. The lead row is locked so concurrent activities decide in turn.
 */
export async function recordActivity(trx: Transaction<Database>, leadId: string, activity: Activity, ctx: ActivityContext): Promise<ActivityResult> {
  const lead = await findLead(trx, ctx.tenantId, leadId, { forUpdate: true });
  if (!lead) throw errors.notFound('Lead');
  const decision = decide(activity, lead.status);
  if (!decision.ok) throw errors.conflict(decision.code, decision.message, { leadStatus: lead.status });
  const activityId = randomUUID();
  const { type, occurredAt, ...payload } = activity;
  await insertActivity(trx, { id: activityId, tenantId: ctx.tenantId, leadId, type, payload, occurredAt });
  if (decision.event === null) return { activityId, leadStatus: lead.status, event: null };
  await updateLeadStatus(trx, leadId, decision.status, ctx.now);
  const event = activityRecorded(leadId, decision.event, { tenantId: ctx.tenantId, correlationId: ctx.correlationId, time: ctx.now });
  await enqueue(trx, [event], ctx.topic);
  return { activityId, leadStatus: decision.status, event: event.type };
}
