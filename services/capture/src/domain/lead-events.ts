import { createEvent, type EventOf, type LifecycleEvent } from '@baton/contracts';
import type { ActivityEvent } from './activity.js';
import type { Completeness, EntryPath, Lead, LeadSource } from './lead.js';
import type { LeadChanges } from './merge.js';

/** The `source` of every event capture produces. */
export const EVENT_SOURCE = 'baton.capture';

/** Envelope facts of the request that causes an event. */
export type EventMeta = { tenantId: string; correlationId: string; time: Date };

const envelope = (leadId: string, meta: EventMeta) => ({
  source: EVENT_SOURCE,
  subject: leadId,
  tenantid: meta.tenantId,
  correlationid: meta.correlationId,
  time: meta.time,
});

/** lead.captured for a newly stored lead. */
export function leadCaptured(lead: Lead, meta: EventMeta): EventOf<'lead.captured'> {
  const { entryPath, source, contact, timeZone, company, externalIds, context, attributes, completeness } = lead;
  return createEvent({
    type: 'lead.captured',
    ...envelope(lead.id, meta),
    data: { entryPath, source, contact, timeZone, company, externalIds, context, attributes, completeness, capturedAt: lead.createdAt.toISOString() },
  });
}

/** lead.updated for a duplicate capture merged into `leadId`. */
export function leadMerged(
  leadId: string,
  merge: { changes: LeadChanges; from: { entryPath: EntryPath; source: LeadSource }; completeness: Completeness },
  meta: EventMeta,
): EventOf<'lead.updated'> {
  return createEvent({
    type: 'lead.updated',
    ...envelope(leadId, meta),
    data: { changes: merge.changes, mergedFrom: merge.from, completeness: merge.completeness },
  });
}

/** The lifecycle event an activity decided on, with its envelope. */
export function activityRecorded(leadId: string, event: ActivityEvent, meta: EventMeta): Extract<LifecycleEvent, { type: ActivityEvent['type'] }> {
  // createEvent types a union of types as one envelope with a union of data; it has checked that data
  // against the schema of event.type, so the pairing the discriminated union states does hold.
  return createEvent({ ...envelope(leadId, meta), type: event.type, data: event.data }) as Extract<LifecycleEvent, { type: ActivityEvent['type'] }>;
}
