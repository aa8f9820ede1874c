import { createEvent, exampleEvents, type EventOf, type EventType } from '../src/index.js';

export const leadId = '7e1a3c5b-9d0f-4b2c-8e4a-6c8d0f2b4a6e';
export const tenantId = 'acme-roofing';

/** A valid event of `type` built from its catalog example. */
export function exampleEventOf<T extends EventType>(type: T): EventOf<T> {
  return createEvent({ type, source: 'baton.test', subject: leadId, tenantid: tenantId, data: exampleEvents[type] });
}
