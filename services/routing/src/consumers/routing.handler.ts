import type { EventOf, EventType, LifecycleEvent } from '@baton/contracts';
import type { EventHandler, MessageContext, Outcome } from '@baton/kafka';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { Timer } from '../domain/assignment.js';
import type { TimerBatcher } from '../timers/sla-timers.js';
import { assignCapturedLead } from '../use-cases/assign-lead.js';
import { recordClosed, recordContact } from '../use-cases/lead-progress.js';

/** What the routing consumer needs besides its transaction. */
export type RoutingHandlerDeps = { clock: () => Date; topic: string; timers: Pick<TimerBatcher, 'add'> };

type Deps = Pick<RoutingHandlerDeps, 'clock' | 'topic'>;
type Effect<T extends EventType> = ((event: EventOf<T>, trx: Kysely<Database>, deps: Deps) => Promise<Timer | null>) | null;

const touched = (leadId: string, at: string, trx: Kysely<Database>) => recordContact(trx, leadId, new Date(at)).then(() => null);
const closed = (leadId: string, at: string, trx: Kysely<Database>) => recordClosed(trx, leadId, new Date(at)).then(() => null);

// One entry per event type of the catalog: a type added to the contracts fails to compile here until routing
// decides what it means (null: nothing). Qualifying a lead or booking a meeting implies contact happened. A
// re-capture merged into a lead (lead.updated) keeps its owner, and attempts do not end the first-touch SLA.
const EFFECTS: { [T in EventType]: Effect<T> } = {
  'lead.captured': (event, trx, deps) => assignCapturedLead(trx, event, deps),
  'lead.contacted': (event, trx) => touched(event.subject, event.data.contactedAt, trx),
  'lead.qualified': (event, trx) => touched(event.subject, event.data.qualifiedAt, trx),
  'appointment.booked': (event, trx) => touched(event.subject, event.time, trx),
  'lead.disqualified': (event, trx) => closed(event.subject, event.data.disqualifiedAt, trx),
  'lead.closed': (event, trx) => closed(event.subject, event.data.closedAt, trx),
  'lead.updated': null,
  'lead.contact_attempted': null,
  'lead.assigned': null,
  'lead.claimed': null,
  'lead.claim_overdue': null,
  'lead.escalated': null,
  'lead.reassigned': null,
  'appointment.confirmed': null,
  'appointment.rescheduled': null,
  'appointment.cancelled': null,
  'appointment.held': null,
  'appointment.no_show': null,
  'reminder.scheduled': null,
  'reminder.sent': null,
  'reminder.failed': null,
};

/** The types routing reacts to; the consumer skips the rest (its own events among them) before any database work. */
export const HANDLED_TYPES: readonly EventType[] = (Object.keys(EFFECTS) as EventType[]).filter((type) => EFFECTS[type] !== null);

/** The effect of one lifecycle event on routing; resolves to the SLA timer it started, if any. */
export async function applyEvent(event: LifecycleEvent, trx: Kysely<Database>, deps: Deps): Promise<Timer | null> {
  // The catalog types `event` and its entry together; TypeScript cannot correlate the two through the lookup.
  const effect = EFFECTS[event.type] as Effect<EventType>;
  return effect ? effect(event as EventOf<EventType>, trx, deps) : null;
}

const keyOf = (ctx: MessageContext) => `${ctx.topic}/${ctx.partition}/${ctx.offset}`;

/**
 * The consumer's handler and its after-commit hook. A timer cannot join the database transaction, so the
 * handler parks it under the message's position and onProcessed adds it to BullMQ once the transaction has
 * committed: a rolled-back chunk never schedules anything (its replay parks the timer again). A crash in between
 * loses only the Redis job, which start-up and the sweep rebuild from Postgres.
 */
export function createRoutingHandler(deps: RoutingHandlerDeps): {
  eventTypes: readonly EventType[];
  handle: EventHandler<Database>;
  onProcessed: (outcome: Outcome, ctx: MessageContext) => void;
} {
  const parked = new Map<string, Timer>();
  return {
    eventTypes: HANDLED_TYPES,
    handle: async (event, trx, ctx) => {
      const timer = await applyEvent(event, trx, deps);
      if (timer) parked.set(keyOf(ctx), timer);
      else parked.delete(keyOf(ctx));
    },
    onProcessed: (outcome, ctx) => {
      const timer = parked.get(keyOf(ctx));
      parked.delete(keyOf(ctx));
      // Batched and not awaited: the offset commit must not wait on Redis (with Redis down, it would wait forever).
      if (outcome === 'handled' && timer) deps.timers.add([timer]);
    },
  };
}
