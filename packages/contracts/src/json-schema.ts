import { z } from 'zod';
import { envelopeSchema } from './envelope.js';
import { eventSchemas, eventTypes, type EventType } from './catalog.js';
import { exampleEvents } from './examples.js';

// JSON Schema for consumers that are not TypeScript. `io: 'input'` describes what `decodeEvent` accepts:
// unknown data keys are tolerated (stripped), so the schemas do not set additionalProperties: false.
// Refinements (endAt > startAt, valid IANA zone) are not representable and are left to the zod side.
const options = { target: 'draft-2020-12', io: 'input', unrepresentable: 'any' } as const;

// Identity first, so a reader of the generated file sees what it is before the properties.
function withHeader(name: string, title: string, schema: object): object {
  const { $schema, ...rest } = schema as { $schema?: string };
  return { $schema, $id: `urn:baton:lead-lifecycle.v1:${name}`, title, ...rest };
}

// Fixed envelope values so the generated files are deterministic and can be diffed in review.
function exampleEvent(type: EventType) {
  return {
    id: '9d2f4b6a-1c3e-4a5b-8d7f-0e2a4c6b8d9f',
    source: type.startsWith('appointment.') ? 'baton.scheduling' : type.startsWith('reminder.') ? 'baton.reminder' : 'baton.capture',
    type,
    specversion: '1.0',
    time: '2025-03-10T16:02:11.000Z',
    subject: '7e1a3c5b-9d0f-4b2c-8e4a-6c8d0f2b4a6e',
    tenantid: 'acme-roofing',
    correlationid: '8f0b2d4c-6e8a-4c1d-9f3b-5d7f9b1d3f5a',
    datacontenttype: 'application/json',
    data: exampleEvents[type],
  };
}

/** JSON Schema (draft 2020-12) of each event type (full envelope with its data), plus `envelope`. */
export function eventJsonSchemas(): Record<string, object> {
  const schemas: Record<string, object> = {
    envelope: withHeader(
      'envelope',
      'Baton lifecycle event envelope (CloudEvents 1.0 attributes)',
      z.toJSONSchema(envelopeSchema, options),
    ),
  };
  for (const type of eventTypes) {
    schemas[type] = { ...withHeader(type, type, z.toJSONSchema(eventSchemas[type], options)), examples: [exampleEvent(type)] };
  }
  return schemas;
}
