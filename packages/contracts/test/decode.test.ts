import fc from 'fast-check';
import { DecodeError, decodeEvent, encodeEvent, eventTypes, exampleEvents, type DecodeResult } from '../src/index.js';
import { exampleEventOf } from './fixtures.js';

function expectFailure(result: DecodeResult): DecodeError {
  if (result.ok) throw new Error(`expected a decode failure, got ${result.event.type}`);
  expect(result.error).toBeInstanceOf(DecodeError);
  return result.error;
}

describe('decodeEvent errors', () => {
  it('given bytes that are not JSON, when decoded, then the code is malformed_json', () => {
    const error = expectFailure(decodeEvent(Buffer.from('{"id": "abc", ')));
    expect(error.code).toBe('malformed_json');
  });

  it.each([null, undefined])('given a %s message value (tombstone), when decoded, then the code is malformed_json', (raw) => {
    expect(expectFailure(decodeEvent(raw)).code).toBe('malformed_json');
  });

  it('given an event without subject, when decoded, then the code is invalid_envelope with the path and ids', () => {
    const { subject: _subject, ...event } = exampleEventOf('lead.contacted');
    const error = expectFailure(decodeEvent(JSON.stringify(event)));
    expect(error.code).toBe('invalid_envelope');
    expect(error.issues.map((issue) => issue.path)).toEqual(['subject']);
    expect(error.eventId).toBe(event.id);
    expect(error.eventType).toBe('lead.contacted');
  });

  it('given a JSON value that is not an object, when decoded, then the code is invalid_envelope', () => {
    expect(expectFailure(decodeEvent('42')).code).toBe('invalid_envelope');
  });

  it("given the type 'lead.teleported', when decoded, then the code is unknown_type", () => {
    const event = { ...exampleEventOf('lead.contacted'), type: 'lead.teleported' };
    const error = expectFailure(decodeEvent(encodeEvent(event as never)));
    expect(error.code).toBe('unknown_type');
    expect(error.eventType).toBe('lead.teleported');
  });

  it.each(['__proto__', 'constructor', 'toString', 'hasOwnProperty'])(
    "given the inherited name '%s' as type, when decoded, then the code is unknown_type",
    (type) => {
      const raw = `{"id":"9d2f4b6a-1c3e-4a5b-8d7f-0e2a4c6b8d9f","source":"x","type":${JSON.stringify(type)},"specversion":"1.0","time":"2025-03-10T16:02:11Z","subject":"7e1a3c5b-9d0f-4b2c-8e4a-6c8d0f2b4a6e","tenantid":"t","correlationid":"c","data":{}}`;
      expect(expectFailure(decodeEvent(raw)).code).toBe('unknown_type');
    },
  );

  it('given appointment.booked ending before it starts, when decoded, then the code is invalid_data on data.endAt', () => {
    const event = exampleEventOf('appointment.booked');
    const data = { ...event.data, startAt: '2025-03-13T22:00:00.000Z', endAt: '2025-03-13T21:00:00.000Z' };
    const error = expectFailure(decodeEvent(JSON.stringify({ ...event, data })));
    expect(error.code).toBe('invalid_data');
    expect(error.issues).toEqual([{ path: 'data.endAt', message: 'endAt must be after startAt' }]);
  });

  it("given the time zone 'Mars/Olympus', when decoded, then the code is invalid_data on that field", () => {
    const event = exampleEventOf('lead.captured');
    const error = expectFailure(decodeEvent(JSON.stringify({ ...event, data: { ...event.data, timeZone: 'Mars/Olympus' } })));
    expect(error.code).toBe('invalid_data');
    expect(error.issues.map((issue) => issue.path)).toEqual(['data.timeZone']);
  });

  it('given a phone number that is not E.164, when decoded, then the issue names the field but not the value', () => {
    const event = exampleEventOf('lead.captured');
    const data = { ...event.data, contact: { ...event.data.contact, phone: '(415) 555-0123' } };
    const error = expectFailure(decodeEvent(JSON.stringify({ ...event, data })));
    expect(error.issues.map((issue) => issue.path)).toEqual(['data.contact.phone']);
    expect(JSON.stringify(error)).not.toContain('555-0123');
    expect(error.message).not.toContain('555-0123');
  });
});

describe('decodeEvent never throws', () => {
  const decodesWithoutThrowing = (raw: unknown) => {
    const result = decodeEvent(raw);
    return result.ok || result.error instanceof DecodeError;
  };

  it('given any JavaScript value, when decoded, then it returns a result', () => {
    fc.assert(fc.property(fc.anything({ withObjectString: true, withNullPrototype: true, withBigInt: true }), decodesWithoutThrowing), { numRuns: 500 });
  });

  it('given any JSON text, when decoded, then it returns a result', () => {
    fc.assert(fc.property(fc.json({ depthSize: 'large' }), decodesWithoutThrowing), { numRuns: 500 });
  });

  it('given random bytes, when decoded, then it returns a result', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 2_000 }), (bytes) => decodesWithoutThrowing(Buffer.from(bytes))), { numRuns: 500 });
    fc.assert(fc.property(fc.uint8Array(), decodesWithoutThrowing), { numRuns: 200 });
  });

  it('given a valid event with random values at random envelope and data keys, when decoded, then it returns a result', () => {
    const type = fc.constantFrom(...eventTypes);
    fc.assert(
      fc.property(type, fc.dictionary(fc.string(), fc.anything()), fc.dictionary(fc.string(), fc.anything()), (t, envelopeNoise, dataNoise) => {
        const event = exampleEventOf(t);
        return decodesWithoutThrowing(JSON.stringify({ ...event, ...envelopeNoise, data: { ...exampleEvents[t], ...dataNoise } }));
      }),
      { numRuns: 300 },
    );
  });

  it('given a deeply nested message and __proto__ keys, when decoded, then it fails cleanly without polluting prototypes', () => {
    const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    expect(expectFailure(decodeEvent(deep)).code).toBe('invalid_envelope');
    const nested = `{"data":${'{"a":'.repeat(5_000)}1${'}'.repeat(5_000)}}`;
    expect(expectFailure(decodeEvent(nested)).code).toBe('invalid_envelope');

    const event = exampleEventOf('lead.contacted');
    const polluted = JSON.stringify(event).replace('{', '{"__proto__":{"polluted":true},');
    const result = decodeEvent(polluted);
    expect(result.ok).toBe(true);
    expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
    if (result.ok) expect(Object.getPrototypeOf(result.event)).toBe(Object.prototype);
  });
});
