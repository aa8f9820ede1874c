import type { LifecycleEvent } from '@baton/contracts';
import fc from 'fast-check';
import { COUNTER_NAMES } from '../../src/domain/counters.js';
import { evolve } from '../../src/domain/evolve.js';
import { emptyJourney } from '../../src/domain/journey.js';
import { toRow, type JourneyRow } from '../../src/domain/journey-row.js';
import { RollupDeltas, type RollupDelta } from '../../src/domain/rollup-delta.js';
import * as e from '../fixtures/events.js';

// A batch's rollup deltas are merged per row from many "old row -> new row" changes; the rollups must end up
// as if every lead were counted once from its final row, however its history was cut into batches.

const OWNERS = ['11111111-1111-4111-8111-111111111111', '22222222-2222-4222-8222-222222222222'];
const HOURS = fc.integer({ min: 0, max: 3 }).map((h) => new Date(Date.UTC(2025, 2, 10, h)).toISOString());

function historyArb(lead: e.Lead): fc.Arbitrary<LifecycleEvent[]> {
  const step = fc.tuple(fc.integer({ min: 0, max: 6 }), HOURS, fc.constantFrom(...OWNERS)).map(([kind, at, owner]) => [
    () => e.captured(lead, at, { entryPath: owner === OWNERS[0] ? 'phone' : 'web_form' }),
    () => e.assigned(lead, at, { owner, queue: OWNERS[1]!, claimDeadline: at }),
    () => e.claimed(lead, at, { member: owner }),
    () => e.reassigned(lead, at, { from: OWNERS[0]!, to: owner, queue: OWNERS[0]! }),
    () => e.contacted(lead, at, owner),
    () => e.booked(lead, at, { appointment: OWNERS[0]!, setter: owner }),
    () => e.held(lead, at, OWNERS[0]!),
  ][kind]!());
  return fc.array(step, { minLength: 1, maxLength: 12 });
}

// Rollup rows as plain { key: { counter: n } }, zero counters and empty rows left out.
function table(deltas: readonly RollupDelta[]): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {};
  for (const { counts, ...key } of deltas) {
    const row: Record<string, number> = {};
    counts.forEach((n, i) => {
      if (n !== 0) row[COUNTER_NAMES[i]!] = n;
    });
    if (Object.keys(row).length > 0) out[JSON.stringify(key)] = row;
  }
  return out;
}

describe('rollup deltas', () => {
  it('add up, over any cut of histories into batches, to counting each final journey once', () => {
    const leads = [e.newLead('t1'), e.newLead('t1'), e.newLead('t1')];
    const arb = fc.tuple(...leads.map((lead) => fc.tuple(historyArb(lead), fc.nat())));
    fc.assert(
      fc.property(arb, (histories) => {
        const incremental = new RollupDeltas();
        const fromScratch = new RollupDeltas();
        for (const [i, [events, cut]] of histories.entries()) {
          const lead = leads[i]!;
          let before: JourneyRow | null = null;
          let journey = emptyJourney(lead.tenantId, lead.leadId);
          // Two batches: the events before the cut, then the rest (either may be empty of news).
          for (const part of [events.slice(0, cut % (events.length + 1)), events.slice(cut % (events.length + 1))]) {
            const next = part.reduce(evolve, journey);
            if (next === journey) continue;
            const row = toRow(next);
            incremental.change(before, row);
            [before, journey] = [row, next];
          }
          if (before !== null) fromScratch.change(null, before);
        }
        expect(table(incremental.rows())).toEqual(table(fromScratch.rows()));
      }),
      { numRuns: 200 },
    );
  });

  it('moves a lead between owner rows and drops the row it left, whose change nets to zero', () => {
    const lead = e.newLead('t1');
    const start = [e.captured(lead, '2025-03-10T10:00:00Z'), e.assigned(lead, '2025-03-10T10:01:00Z', { owner: OWNERS[0]!, queue: OWNERS[1]!, claimDeadline: '2025-03-10T10:06:00Z' })];
    const first = start.reduce(evolve, emptyJourney(lead.tenantId, lead.leadId));
    const second = evolve(first, e.reassigned(lead, '2025-03-10T10:02:00Z', { from: OWNERS[0]!, to: OWNERS[1]!, queue: OWNERS[1]! }));
    const deltas = new RollupDeltas();
    deltas.change(null, toRow(first));
    deltas.change(toRow(first), toRow(second));
    const owners = deltas.rows().filter((d) => d.dim === 'owner').map((d) => d.value);
    expect(owners).toEqual([OWNERS[1], OWNERS[1], OWNERS[1]]);
    expect(deltas.rows().every((d) => d.counts.some((n) => n !== 0))).toBe(true);
  });
});
