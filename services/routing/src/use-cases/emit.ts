import { createEvent, type EventData, type EventOf, type LifecycleEvent } from '@baton/contracts';
import { enqueue } from '@baton/kafka';
import type { Kysely } from 'kysely';
import { recordHistory } from '../db/history.repository.js';
import type { Database } from '../db/schema.js';

/** The `source` of every event routing produces. */
export const EVENT_SOURCE = 'baton.routing';

/** The event types routing produces. */
export type RoutingEventType = 'lead.assigned' | 'lead.claimed' | 'lead.claim_overdue' | 'lead.escalated' | 'lead.reassigned';

/** Envelope facts of what causes a routing event. */
export type EventMeta = { leadId: string; tenantId: string; correlationId: string; causationId?: string | undefined; time: Date };

/** Builds a validated routing event for a lead. */
export function routingEvent<T extends RoutingEventType>(type: T, data: EventData<T>, meta: EventMeta): Extract<LifecycleEvent, { type: T }> {
  return createEvent({
    type,
    source: EVENT_SOURCE,
    subject: meta.leadId,
    tenantid: meta.tenantId,
    correlationid: meta.correlationId,
    ...(meta.causationId === undefined ? {} : { causationid: meta.causationId }),
    time: meta.time,
    data,
  } as Parameters<typeof createEvent<T>>[0]) as EventOf<T> as Extract<LifecycleEvent, { type: T }>;
}

/** Records the events in the lead's routing history and the outbox, in the caller's transaction. */
export async function emit(trx: Kysely<Database>, events: ReadonlyArray<Extract<LifecycleEvent, { type: RoutingEventType }>>, topic: string): Promise<void> {
  await recordHistory(trx, events);
  await enqueue(trx, events, topic);
}
