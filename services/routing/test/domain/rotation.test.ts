import { decideOwner, type Candidate } from '../../src/domain/eligibility.js';
import { pickWeighted, type RotationEntry } from '../../src/domain/rotation.js';
import { chooseQueue, ruleMatches } from '../../src/domain/rules.js';
import type { LeadFacts, Rule } from '../../src/domain/types.js';

function run(entries: RotationEntry[], picks: number): string[] {
  const state = entries.map((e) => ({ ...e }));
  const out: string[] = [];
  for (let i = 0; i < picks; i++) {
    const pick = pickWeighted(state)!;
    out.push(pick.winner);
    for (const e of state) e.score = pick.scores.get(e.id) ?? e.score;
  }
  return out;
}

describe('smooth weighted round-robin', () => {
  it('interleaves by weight instead of bunching', () => {
    expect(run([{ id: 'a', weight: 1, score: 0 }, { id: 'b', weight: 2, score: 0 }, { id: 'c', weight: 3, score: 0 }], 6)).toEqual(['c', 'b', 'a', 'c', 'b', 'c']);
  });

  it('follows the weights exactly over whole cycles', () => {
    const picks = run([{ id: 'a', weight: 1, score: 0 }, { id: 'b', weight: 2, score: 0 }, { id: 'c', weight: 3, score: 0 }], 600);
    expect(['a', 'b', 'c'].map((id) => picks.filter((p) => p === id).length)).toEqual([100, 200, 300]);
  });

  it('has no winner without a positive weight', () => {
    expect(pickWeighted([{ id: 'a', weight: 0, score: 5 }])).toBeNull();
  });
});

const member = (id: string, overrides: Partial<Candidate> = {}): Candidate => ({
  id, tenantId: 't', name: id, role: 'rep', timeZone: 'UTC', workingHours: null, outOfOffice: [], weight: 1,
  maxOpen: null, maxPerDay: null, active: true, openCount: 0, dayCount: 0, dayOf: null, score: 0, ...overrides,
});

describe('decideOwner', () => {
  const now = new Date('2025-03-03T12:00:00Z');
  const queue = { ignoreWorkingHours: false, fallbackMemberId: 'fallback' };

  it('explains every skip and falls back when nobody is eligible', () => {
    const decision = decideOwner(queue, [
      member('inactive', { active: false }),
      member('paused', { weight: 0 }),
      member('away', { outOfOffice: [{ from: '2025-03-01T00:00:00Z', to: '2025-03-05T00:00:00Z' }] }),
      member('night', { workingHours: { mon: [{ start: '20:00', end: '24:00' }] } }),
      member('full', { maxOpen: 2, openCount: 2 }),
      member('busy-today', { maxPerDay: 3, dayCount: 3, dayOf: '2025-03-03' }),
    ], now);
    expect(decision.considered.map((c) => c.skippedBecause)).toEqual(['inactive', 'not_in_rotation', 'out_of_office', 'off_hours', 'at_cap', 'at_cap']);
    expect(decision).toMatchObject({ ownerId: 'fallback', fallback: true });
  });

  it('restarts the per-day count on the member\'s new local day', () => {
    const decision = decideOwner(queue, [member('yesterday', { maxPerDay: 3, dayCount: 3, dayOf: '2025-03-02' })], now);
    expect(decision).toMatchObject({ ownerId: 'yesterday', fallback: false });
  });

  it('ignores hours when the queue says so', () => {
    const night = member('night', { workingHours: {} });
    expect(decideOwner({ ...queue, ignoreWorkingHours: true }, [night], now).ownerId).toBe('night');
  });
});

describe('rules', () => {
  const lead: LeadFacts = { entryPath: 'web_form', campaign: 'spring', country: 'DE', timeZone: 'Europe/Berlin', companySize: '51-200', attributes: { product: 'roof', budget: 40000 } };
  const rule = (id: string, position: number, match: Rule['match'], active = true): Rule => ({ id, name: id, position, queueId: `q-${id}`, match, active });

  it('needs every condition and any value of each', () => {
    expect(ruleMatches({ entryPath: ['phone', 'web_form'], country: ['DE'], attributes: { product: ['roof', 'solar'] } }, lead)).toBe(true);
    expect(ruleMatches({ entryPath: ['web_form'], campaign: ['autumn'] }, lead)).toBe(false);
    expect(ruleMatches({ companySize: { min: 50, max: 200 } }, lead)).toBe(true);
    expect(ruleMatches({ companySize: { min: 201 } }, lead)).toBe(false);
    expect(ruleMatches({ attributes: { budget: [40000] } }, lead)).toBe(true);
  });

  it('never matches a condition on a field the lead lacks', () => {
    expect(ruleMatches({ country: ['DE'] }, { entryPath: 'phone', attributes: {} })).toBe(false);
    expect(ruleMatches({ attributes: { product: ['roof'] } }, { entryPath: 'phone', attributes: {} })).toBe(false);
  });

  it('takes the first active match in position order, else the default queue', () => {
    const rules = [rule('late', 20, {}), rule('off', 1, {}, false), rule('early', 10, { country: ['DE'] })];
    expect(chooseQueue(rules, 'default', lead)).toMatchObject({ queueId: 'q-early' });
    expect(chooseQueue([rule('fr', 1, { country: ['FR'] })], 'default', lead)).toEqual({ queueId: 'default', rule: null });
    expect(chooseQueue([], null, lead)).toBeNull();
  });
});
