import { emptyContext } from '../../src/domain/lead.js';
import { mergeLead } from '../../src/domain/merge.js';
import { content } from './fixtures.js';

describe('mergeLead', () => {
  it('given an existing lead, when a duplicate brings new context, then lists union and empty scalars fill', () => {
    const existing = content({
      contact: { name: 'Ada', email: 'ada@x.io' },
      context: { ...emptyContext(), painPoints: ['slow quotes'], timeline: 'Q3' },
      attributes: { budget: 5000 },
    });
    const incoming = content({
      entryPath: 'phone',
      source: { system: 'dialer' },
      contact: { name: 'Ada L.', phone: '+33142685300' },
      timeZone: 'Europe/Paris',
      context: { ...emptyContext(), painPoints: ['slow quotes', 'no CRM'], timeline: 'Q4', agreedNextStep: 'call back' },
      attributes: { budget: 9000, seats: 12 },
      externalIds: { hubspot: '42' },
    });
    const { merged, changes } = mergeLead(existing, incoming);
    expect(merged).toEqual({
      ...existing,
      contact: { name: 'Ada', email: 'ada@x.io', phone: '+33142685300' },
      timeZone: 'Europe/Paris',
      context: { ...emptyContext(), painPoints: ['slow quotes', 'no CRM'], timeline: 'Q3', agreedNextStep: 'call back' },
      attributes: { budget: 5000, seats: 12 },
      externalIds: { hubspot: '42' },
    });
    // The original door and source stay; the caller reports the duplicate's as mergedFrom.
    expect(merged.entryPath).toBe('other');
    expect(merged.source).toEqual({ system: 'test' });
    expect(changes).toEqual({
      contact: merged.contact,
      attributes: merged.attributes,
      timeZone: 'Europe/Paris',
      context: { painPoints: ['slow quotes', 'no CRM'], agreedNextStep: 'call back' },
    });
  });

  it('reports no changes when the duplicate adds nothing', () => {
    const existing = content({ contact: { email: 'ada@x.io' }, context: { ...emptyContext(), objections: ['price'] } });
    const { merged, changes } = mergeLead(existing, content({ contact: { email: 'ada@x.io' }, context: { ...emptyContext(), objections: ['price'] } }));
    expect(merged).toEqual(existing);
    expect(changes).toEqual({});
  });

  it('unions structured items by value and stops at the contract limit of 50', () => {
    const full = Array.from({ length: 50 }, (_, i) => `p${i}`);
    const existing = content({ context: { ...emptyContext(), painPoints: full.slice(0, 49), stakeholders: [{ name: 'Bo', role: 'CFO' }] } });
    const incoming = content({ context: { ...emptyContext(), painPoints: ['p49', 'p50', 'p51'], stakeholders: [{ name: 'Bo', role: 'CFO' }, { name: 'Cy' }] } });
    const { merged } = mergeLead(existing, incoming);
    expect(merged.context.painPoints).toEqual(full);
    expect(merged.context.stakeholders).toEqual([{ name: 'Bo', role: 'CFO' }, { name: 'Cy' }]);
  });

  it('fills a blank existing scalar', () => {
    const { merged } = mergeLead(content({ context: { ...emptyContext(), timeline: ' ' } }), content({ context: { ...emptyContext(), timeline: 'May' } }));
    expect(merged.context.timeline).toBe('May');
  });
});
