import { assessCompleteness, requirementsFor } from '../../src/domain/completeness.js';
import { emptyContext } from '../../src/domain/lead.js';
import { content } from './fixtures.js';

const complete = { painPoints: ['slow quotes'], timeline: 'this quarter', agreedNextStep: 'demo on Friday' };

describe('completeness', () => {
  it('by default asks for a way to reach the lead, a time zone, pain, timeline and next step', () => {
    expect(assessCompleteness(content())).toEqual({
      score: 0,
      missing: ['contact.email|contact.phone', 'timeZone', 'context.painPoints', 'context.timeline', 'context.agreedNextStep'],
    });
  });

  it('scores the share of requirements met', () => {
    const lead = content({ contact: { email: 'a@b.co' }, timeZone: 'Europe/Paris', context: { ...emptyContext(), painPoints: ['x'] } });
    expect(assessCompleteness(lead)).toEqual({ score: 60, missing: ['context.timeline', 'context.agreedNextStep'] });
  });

  it('is met by either alternative of a reachable contact method', () => {
    const withPhone = content({ contact: { phone: '+33142685300' }, timeZone: 'Europe/Paris', context: { ...emptyContext(), ...complete } });
    expect(assessCompleteness(withPhone)).toEqual({ score: 100, missing: [] });
  });

  it('adds what each entry path depends on', () => {
    const base = { contact: { email: 'a@b.co' }, timeZone: 'UTC', context: { ...emptyContext(), ...complete } };
    expect(assessCompleteness(content({ ...base, entryPath: 'phone' })).missing).toEqual(['contact.phone']);
    expect(assessCompleteness(content({ ...base, entryPath: 'web_form' })).missing).toEqual([]);
    expect(assessCompleteness(content({ ...base, entryPath: 'estimate_request' })).missing).toEqual(['company.name|attributes.address']);
    expect(assessCompleteness(content({ ...base, entryPath: 'estimate_request', attributes: { address: '1 Main St' } })).missing).toEqual([]);
    expect(assessCompleteness(content({ ...base, entryPath: 'referral' })).missing).toEqual(['source.referrer']);
    expect(assessCompleteness(content({ ...base, entryPath: 'phone' })).score).toBe(83);
  });

  it("lets a tenant replace the defaults and each entry path's additions", () => {
    const settings = { requiredFields: ['contact.name', 'attributes.budget'], requiredByEntryPath: { phone: [] } };
    expect(requirementsFor('phone', settings)).toEqual(['contact.name', 'attributes.budget']);
    expect(requirementsFor('web_form', settings)).toEqual(['contact.name', 'attributes.budget', 'contact.email']);
    const lead = content({ entryPath: 'phone', contact: { name: 'Ada' }, attributes: { budget: 0 } });
    expect(assessCompleteness(lead, settings)).toEqual({ score: 100, missing: [] });
  });

  it('counts blank strings and empty lists as missing, and never reads inherited properties', () => {
    const lead = content({ context: { ...emptyContext(), timeline: '  ' } });
    const settings = { requiredFields: ['context.timeline', 'context.painPoints', 'contact.constructor', 'company.__proto__'] };
    expect(assessCompleteness(lead, settings).score).toBe(0);
  });

  it('is 100 when nothing is required', () => {
    expect(assessCompleteness(content(), { requiredFields: [], requiredByEntryPath: { other: [] } })).toEqual({ score: 100, missing: [] });
  });
});
