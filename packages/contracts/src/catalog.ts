import { z } from 'zod';
import { envelopeSchema, type Envelope } from './envelope.js';
import { appointmentEventDataSchemas } from './events/appointment.events.js';
import { leadEventDataSchemas } from './events/lead.events.js';
import { reminderEventDataSchemas } from './events/reminder.events.js';
import { routingEventDataSchemas } from './events/routing.events.js';

// The one catalog of lifecycle event types (v1). Types are `<entity>.<past-tense verb>`; a breaking change
// to a payload becomes a new type (e.g. `lead.captured.v2`), never an edit of an existing one.

/** Data schema of every lifecycle event type, by type. */
export const eventDataSchemas = {
  ...leadEventDataSchemas,
  ...routingEventDataSchemas,
  ...appointmentEventDataSchemas,
  ...reminderEventDataSchemas,
} as const;

export type EventType = keyof typeof eventDataSchemas;
export type EventData<T extends EventType> = z.infer<(typeof eventDataSchemas)[T]>;
export type EventOf<T extends EventType> = Envelope & { type: T; data: EventData<T> };
/** Any lifecycle event; `switch (event.type)` narrows `data`. */
export type LifecycleEvent = { [T in EventType]: EventOf<T> }[EventType];

/** Every event type, in catalog order. */
export const eventTypes = Object.keys(eventDataSchemas) as EventType[];

/** True when `type` names an event in the catalog (own keys only, so `__proto__` or `toString` never match). */
export function isEventType(type: unknown): type is EventType {
  return typeof type === 'string' && Object.hasOwn(eventDataSchemas, type);
}

function buildEventSchema<T extends EventType>(type: T) {
  return envelopeSchema.extend({ type: z.literal(type), data: eventDataSchemas[type] as (typeof eventDataSchemas)[T] });
}

type EventSchema<T extends EventType> = ReturnType<typeof buildEventSchema<T>>;

/** Full event schema (envelope + that type's data) for each type. */
export const eventSchemas = Object.fromEntries(eventTypes.map((type) => [type, buildEventSchema(type)])) as {
  [T in EventType]: EventSchema<T>;
};

type AnyEventSchema = (typeof eventSchemas)[EventType];
const members = eventTypes.map((type) => eventSchemas[type]) as [AnyEventSchema, ...AnyEventSchema[]];

/** Zod discriminated union (on `type`) over every lifecycle event. */
export const lifecycleEventSchema = z.discriminatedUnion('type', members);
