import { envelopeSchema, toIssues, type Issue } from './envelope.js';
import { eventDataSchemas, isEventType, type LifecycleEvent } from './catalog.js';

export type DecodeErrorCode = 'malformed_json' | 'invalid_envelope' | 'unknown_type' | 'invalid_data';

/** Why a message could not be decoded; carries what a dead letter needs (code, issues, ids when known). */
export class DecodeError extends Error {
  override readonly name = 'DecodeError';
  readonly code: DecodeErrorCode;
  readonly issues: Issue[];
  readonly eventType?: string;
  readonly eventId?: string;

  constructor(code: DecodeErrorCode, message: string, details: { issues?: Issue[]; eventType?: string; eventId?: string } = {}) {
    super(message);
    this.code = code;
    this.issues = details.issues ?? [];
    if (details.eventType !== undefined) this.eventType = details.eventType;
    if (details.eventId !== undefined) this.eventId = details.eventId;
  }
}

export type DecodeResult = { ok: true; event: LifecycleEvent } | { ok: false; error: DecodeError };

const fail = (error: DecodeError): DecodeResult => ({ ok: false, error });

type Parsed = { ok: true; value: unknown } | { ok: false; error: DecodeError };

// Kafka hands over Buffers, HTTP and tests hand over strings or already-parsed values.
function parseRaw(raw: unknown): Parsed {
  if (raw === null || raw === undefined) {
    return { ok: false, error: new DecodeError('malformed_json', 'empty message (no value)') };
  }
  const text = raw instanceof Uint8Array ? new TextDecoder().decode(raw) : raw;
  if (typeof text !== 'string') return { ok: true, value: text };
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    // The parser's message may quote the payload, which can hold personal data: keep it out of the error.
    return { ok: false, error: new DecodeError('malformed_json', 'message is not valid JSON') };
  }
}

// Best effort, for the dead letter: the id/type of an event that failed validation, when they are strings.
function stringAttribute(value: unknown, key: 'id' | 'type'): string | undefined {
  if (typeof value !== 'object' || value === null || !Object.hasOwn(value, key)) return undefined;
  const attribute = (value as Record<string, unknown>)[key];
  return typeof attribute === 'string' ? attribute.slice(0, 200) : undefined;
}

function decodeOrFail(raw: unknown): DecodeResult {
  const parsed = parseRaw(raw);
  if (!parsed.ok) return parsed;
  const candidate = parsed.value;
  const ids = { eventId: stringAttribute(candidate, 'id'), eventType: stringAttribute(candidate, 'type') };

  const envelope = envelopeSchema.safeParse(candidate);
  if (!envelope.success) {
    return fail(new DecodeError('invalid_envelope', 'invalid event envelope', { ...ids, issues: toIssues(envelope.error.issues) }));
  }
  const { type } = envelope.data;
  if (!isEventType(type)) {
    return fail(new DecodeError('unknown_type', `unknown event type ${JSON.stringify(type)}`, ids));
  }
  const data = eventDataSchemas[type].safeParse(envelope.data.data);
  if (!data.success) {
    return fail(new DecodeError('invalid_data', `invalid data for ${type}`, { ...ids, issues: toIssues(data.error.issues, ['data']) }));
  }
  // Extension attributes ride along in `envelope.data`; data is the parsed (known-keys-only) payload.
  return { ok: true, event: { ...envelope.data, type, data: data.data } as LifecycleEvent };
}

/** Decode a Kafka value (Buffer/string/parsed object) into a typed event; never throws. */
export function decodeEvent(raw: unknown): DecodeResult {
  try {
    return decodeOrFail(raw);
  } catch {
    // Schemas should never throw, but a consumer loop must not die on one message: dead-letter it instead.
    return fail(new DecodeError('invalid_envelope', 'event could not be decoded'));
  }
}

/** Serialize an event for Kafka (JSON); validation belongs to `createEvent` at the producer. */
export function encodeEvent(event: LifecycleEvent): string {
  return JSON.stringify(event);
}
