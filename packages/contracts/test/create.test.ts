import { createEvent, envelopeSchema, EventValidationError, exampleEvents, type CreateEventInput, type EventData } from '../src/index.js';
import { leadId, tenantId } from './fixtures.js';

const base = { source: 'baton.capture', subject: leadId, tenantid: tenantId };

describe('createEvent', () => {
  it('given only the required input, when creating, then id, time, specversion and correlationid are filled', () => {
    const before = Date.now();
    const event = createEvent({ ...base, type: 'lead.contacted', data: exampleEvents['lead.contacted'] });
    expect(event.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(event.specversion).toBe('1.0');
    expect(event.correlationid).toBe(event.id);
    expect(event.causationid).toBeUndefined();
    expect(Date.parse(event.time)).toBeGreaterThanOrEqual(before);
    expect(event.data).toEqual(exampleEvents['lead.contacted']);
  });

  it('given a causing event, when creating, then its correlation and causation ids and the given time are kept', () => {
    const event = createEvent({
      ...base,
      type: 'lead.claimed',
      data: exampleEvents['lead.claimed'],
      id: '0e2a4c6b-8d9f-4b1c-8e3d-5f7a9b1c3d5e',
      correlationid: 'req-123',
      causationid: '9d2f4b6a-1c3e-4a5b-8d7f-0e2a4c6b8d9f',
      time: new Date('2025-03-10T16:04:30.000Z'),
    });
    expect(event).toMatchObject({
      id: '0e2a4c6b-8d9f-4b1c-8e3d-5f7a9b1c3d5e',
      correlationid: 'req-123',
      causationid: '9d2f4b6a-1c3e-4a5b-8d7f-0e2a4c6b8d9f',
      time: '2025-03-10T16:04:30.000Z',
    });
  });

  it('given invalid data, when creating, then it throws EventValidationError invalid_data with the issues', () => {
    const data = { ...exampleEvents['lead.claimed'], secondsToClaim: -1 };
    const create = () => createEvent({ ...base, type: 'lead.claimed', data });
    expect(create).toThrow(EventValidationError);
    expect(create).toThrow(expect.objectContaining({ code: 'invalid_data', issues: [expect.objectContaining({ path: 'data.secondsToClaim' })] }));
  });

  it('given a member actor whose id is not a uuid, when creating, then it throws invalid_data', () => {
    const data: EventData<'lead.contacted'> = { ...exampleEvents['lead.contacted'], actor: { type: 'member', id: 'sam' } };
    expect(() => createEvent({ ...base, type: 'lead.contacted', data })).toThrow(expect.objectContaining({ code: 'invalid_data' }));
  });

  it.each([
    ['a subject that is not a uuid', { subject: 'lead-1' }],
    ['an empty tenant', { tenantid: '' }],
    ['an invalid Date', { time: new Date('nope') }],
    ['a Date past year 9999 (no RFC 3339 form)', { time: new Date('+010000-01-01T00:00:00Z') }],
    ['a time string without an offset', { time: '2025-03-10T16:04:30' }],
    ['an id that is not a uuid', { id: 'event-1' }],
    ['an empty correlation id', { correlationid: '' }],
    ['an empty source', { source: '' }],
  ])('given %s, when creating, then it throws invalid_envelope', (_label, override: Partial<CreateEventInput<'lead.contacted'>>) => {
    const create = () => createEvent({ ...base, ...override, type: 'lead.contacted', data: exampleEvents['lead.contacted'] });
    expect(create).toThrow(expect.objectContaining({ code: 'invalid_envelope' }));
  });

  it('given an event built without time or id, then its filled-in attributes pass the full envelope schema', () => {
    const event = createEvent({ ...base, type: 'lead.contacted', data: exampleEvents['lead.contacted'] });
    expect(envelopeSchema.safeParse(event).success).toBe(true);
  });
});
