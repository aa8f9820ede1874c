import { randomUUID } from 'node:crypto';
import { envelopeSchema, toIssues, type Issue } from './envelope.js';
import { eventDataSchemas, type EventData, type EventOf, type EventType } from './catalog.js';

/** Thrown by `createEvent` when a producer builds an event consumers would reject. */
export class EventValidationError extends Error {
  override readonly name = 'EventValidationError';
  constructor(
    readonly code: 'invalid_envelope' | 'invalid_data',
    readonly issues: Issue[],
    readonly eventType: string,
  ) {
    super(`${code} for ${eventType}: ${issues.map((i) => `${i.path || '(root)'}: ${i.message}`).join('; ')}`);
  }
}

export type CreateEventInput<T extends EventType> = {
  type: T;
  source: string;
  subject: string;
  tenantid: string;
  data: EventData<T>;
  correlationid?: string;
  causationid?: string;
  id?: string;
  time?: Date | string;
};

function toTime(time: Date | string | undefined): string {
  if (time === undefined) return new Date().toISOString();
  if (typeof time === 'string') return time;
  // An invalid Date would make toISOString throw a RangeError; let the envelope check report it instead.
  return Number.isNaN(time.getTime()) ? 'invalid date' : time.toISOString();
}

/*
 * The envelope attributes a caller supplies, checked by the envelope's own rules. What createEvent fills in
 * itself (a fresh uuid, the current time, the constants) is valid by construction; checking the whole
 * envelope again cost a third of a capture's createEvent.
 */
const suppliedSchema = envelopeSchema
  .pick({ id: true, source: true, type: true, time: true, subject: true, tenantid: true, correlationid: true, causationid: true })
  .partial({ id: true, time: true, correlationid: true });

/** Build a validated event: fills id, time, specversion and correlationid; throws EventValidationError. */
export function createEvent<T extends EventType>(input: CreateEventInput<T>): EventOf<T> {
  const time = toTime(input.time);
  const supplied = {
    id: input.id,
    source: input.source,
    type: input.type,
    time: input.time === undefined ? undefined : time,
    subject: input.subject,
    tenantid: input.tenantid,
    correlationid: input.correlationid,
    causationid: input.causationid,
  };
  const checked = suppliedSchema.safeParse(supplied);
  if (!checked.success) throw new EventValidationError('invalid_envelope', toIssues(checked.error.issues), input.type);
  const id = input.id ?? randomUUID();
  const envelope = {
    id,
    source: input.source,
    type: input.type,
    specversion: '1.0' as const,
    time,
    subject: input.subject,
    tenantid: input.tenantid,
    // A new chain starts here unless the caller continues one.
    correlationid: input.correlationid ?? id,
    ...(input.causationid === undefined ? {} : { causationid: input.causationid }),
    datacontenttype: 'application/json' as const,
  };
  // Look the schema up by own key: `type` comes from untyped callers too.
  const schema = Object.hasOwn(eventDataSchemas, input.type) ? eventDataSchemas[input.type] : undefined;
  if (schema === undefined) {
    throw new EventValidationError('invalid_envelope', [{ path: 'type', message: 'unknown event type' }], input.type);
  }
  const data = schema.safeParse(input.data);
  if (!data.success) throw new EventValidationError('invalid_data', toIssues(data.error.issues, ['data']), input.type);
  // The parsed data, not the input: producers publish exactly what consumers will decode.
  return { ...envelope, data: data.data } as EventOf<T>;
}
