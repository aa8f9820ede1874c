import {
  decodeEvent,
  encodeEvent,
  eventDataSchemas,
  eventTypes,
  exampleEvents,
  lifecycleEventSchema,
  type EventOf,
  type LifecycleEvent,
} from '../src/index.js';
import { exampleEventOf } from './fixtures.js';
import { summarizeEvent } from './summarize-event.js';

describe('event catalog', () => {
  it('given the catalog, when listing types, then every type is <entity>.<past-tense verb> of a known entity', () => {
    for (const type of eventTypes) expect(type).toMatch(/^(lead|appointment|reminder)\.[a-z_]+$/);
    expect(eventTypes).toHaveLength(21);
  });

  it.each(eventTypes)('given the %s example, when validated by its data schema, then it passes', (type) => {
    const result = eventDataSchemas[type].safeParse(exampleEvents[type]);
    expect(result.error?.issues).toBeUndefined();
    expect(result.data).toEqual(exampleEvents[type]);
  });

  it.each(eventTypes)('given a %s event, when encoded then decoded, then the same event comes back', (type) => {
    const event = exampleEventOf(type) as LifecycleEvent;
    const decoded = decodeEvent(Buffer.from(encodeEvent(event)));
    expect(decoded).toEqual({ ok: true, event });
  });

  it.each(eventTypes)('given a %s event, when parsed by the discriminated union, then it is accepted', (type) => {
    expect(lifecycleEventSchema.safeParse(exampleEventOf(type)).success).toBe(true);
  });

  it('given the union type, when switching on event.type, then each branch sees its own data', () => {
    const summaries = eventTypes.map((type) => summarizeEvent(exampleEventOf(type) as LifecycleEvent));
    expect(summaries).toHaveLength(eventTypes.length);
    expect(summarizeEvent(exampleEventOf('lead.claimed'))).toBe('claimed after 138s');
  });

  it('given an extension attribute on the envelope, when decoded, then it is kept', () => {
    const event = { ...exampleEventOf('lead.contacted'), traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' };
    const decoded = decodeEvent(JSON.stringify(event));
    expect(decoded.ok && (decoded.event as EventOf<'lead.contacted'> & { traceparent?: string }).traceparent).toBe(event.traceparent);
  });

  it('given an unknown key inside data, when decoded, then it is dropped rather than rejected', () => {
    const event = exampleEventOf('appointment.held');
    const decoded = decodeEvent(JSON.stringify({ ...event, data: { ...event.data, addedInAFutureMinor: true } }));
    expect(decoded).toEqual({ ok: true, event });
  });
});
