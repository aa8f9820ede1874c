import type { EventOf, EventType, LifecycleEvent } from '@baton/contracts';
import type { ConsumerOptions, EventHandler, MessageContext, Outcome } from '@baton/kafka';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { Timer } from '../domain/assignment.js';
import type { TimerBatcher } from '../timers/sla-timers.js';
import { assignStagedLeads, stageCapturedLead } from '../use-cases/assign-leads.js';
import { recordClosed, recordContact } from '../use-cases/lead-progress.js';
import { forgetLockedRows } from '../use-cases/locked-pools.js';

/** What the routing consumer needs besides its transaction. */
export type RoutingHandlerDeps = { clock: () => Date; topic: string; timers: Pick<TimerBatcher, 'add'> };

type Db = Kysely<Database>;
type Deps = Pick<RoutingHandlerDeps, 'clock' | 'topic'>;
/** 'assign': staged, and assigned with the transaction's other captured leads (assign-leads.ts). */
type Effect<T extends EventType> = ((event: EventOf<T>, trx: Db) => Promise<void>) | 'assign' | null;

const touched = (leadId: string, at: string, trx: Db) => recordContact(trx, leadId, new Date(at));
const closed = (leadId: string, at: string, trx: Db) => recordClosed(trx, leadId, new Date(at));

// One entry per event type of the catalog: a type added to the contracts fails to compile here until routing
// decides what it means (null: nothing). Qualifying a lead or booking a meeting implies contact happened. A
// re-capture merged into a lead (lead.updated) keeps its owner, and attempts do not end the first-touch SLA.
const EFFECTS: { [T in EventType]: Effect<T> } = {
  'lead.captured': 'assign',
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

/** Claim timers started in a transaction, by the tag of the event that started them (null: none). */
export type StartedTimers = Map<string, Timer | null>;

/**
 * Applies one lifecycle event in the consumer's transaction; `tag` names it in the result (the consumer uses
 * the message's position). A captured lead is only staged: finishTransaction assigns the staged leads
 * together. Any other effect first assigns what is staged, so the transaction sees its events in order (a
 * lead captured and contacted in one chunk is assigned, then contacted).
 */
export async function applyEvent(event: LifecycleEvent, trx: Db, deps: Deps, tag: string = event.id): Promise<StartedTimers> {
  // The catalog types `event` and its entry together; TypeScript cannot correlate the two through the lookup.
  const effect = EFFECTS[event.type] as Effect<EventType>;
  if (effect === 'assign') {
    stageCapturedLead(trx, event as EventOf<'lead.captured'>, tag);
    return new Map();
  }
  if (effect === null) return new Map([[tag, null]]);
  const started = await assignStagedLeads(trx, deps);
  await effect(event as EventOf<EventType>, trx);
  // It may have changed member counters this transaction read under lock: the next assignment reads them again.
  forgetLockedRows(trx);
  return started.set(tag, null);
}

/** Assigns the leads still staged in the transaction; run it once after its last applyEvent, before commit. */
export function finishTransaction(trx: Db, deps: Deps): Promise<StartedTimers> {
  return assignStagedLeads(trx, deps);
}

const keyOf = (ctx: MessageContext) => `${ctx.topic}/${ctx.partition}/${ctx.offset}`;

/**
 * The consumer's handler, its before-commit hook and its after-commit hook. A timer cannot join the database
 * transaction, so it is parked under the message's position and onProcessed adds it to BullMQ once the
 * transaction has committed: a rolled-back chunk never schedules anything (its replay parks the timer again).
 * A crash in between loses only the Redis job, which start-up and the sweep rebuild from Postgres.
 */
export function createRoutingHandler(deps: RoutingHandlerDeps): {
  eventTypes: readonly EventType[];
  handle: EventHandler<Database>;
  beforeCommit: NonNullable<ConsumerOptions<Database>['beforeCommit']>;
  onProcessed: (outcome: Outcome, ctx: MessageContext) => void;
} {
  const parked = new Map<string, Timer>();
  const park = (started: StartedTimers) => {
    for (const [key, timer] of started) {
      if (timer) parked.set(key, timer);
      else parked.delete(key);
    }
  };
  return {
    eventTypes: HANDLED_TYPES,
    handle: async (event, trx, ctx) => park(await applyEvent(event, trx, deps, keyOf(ctx))),
    beforeCommit: async (trx) => park(await finishTransaction(trx, deps)),
    onProcessed: (outcome, ctx) => {
      const timer = parked.get(keyOf(ctx));
      parked.delete(keyOf(ctx));
      // Batched and not awaited: the offset commit must not wait on Redis (with Redis down, it would wait forever).
      if (outcome === 'handled' && timer) deps.timers.add([timer]);
    },
  };
}
