// @baton/contracts: the lead lifecycle event catalog (v1), shared by every service and exported as JSON Schema.
export { LIFECYCLE_TOPIC, DEAD_LETTER_TOPIC, envelopeSchema, type Envelope, type Issue } from './envelope.js';
export {
  eventDataSchemas,
  eventSchemas,
  eventTypes,
  isEventType,
  lifecycleEventSchema,
  type EventType,
  type EventData,
  type EventOf,
  type LifecycleEvent,
} from './catalog.js';
export { createEvent, EventValidationError, type CreateEventInput } from './create.js';
export { decodeEvent, encodeEvent, DecodeError, type DecodeErrorCode, type DecodeResult } from './decode.js';
export { exampleEvents } from './examples.js';
export { eventJsonSchemas } from './json-schema.js';
export { isIanaTimeZone, timeZoneSchema, type Actor } from './primitives.js';
