import { emptyContext, type LeadContent } from '../../src/domain/lead.js';

/** A lead content with nothing but what a test sets. */
export function content(overrides: Partial<LeadContent> = {}): LeadContent {
  return {
    entryPath: 'other',
    contact: {},
    timeZone: null,
    company: {},
    source: { system: 'test' },
    externalIds: {},
    context: emptyContext(),
    attributes: {},
    ...overrides,
  };
}
