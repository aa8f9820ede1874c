import type { LifecycleEvent } from '@baton/contracts';
import fc from 'fast-check';
import { evolve } from '../../src/domain/evolve.js';
import { emptyJourney } from '../../src/domain/journey.js';
import { toRow } from '../../src/domain/journey-row.js';
import * as e from '../fixtures/events.js';

const lead = e.newLead('tenant-a');

/** JSON with sorted keys: two journeys hold the same facts exactly when these strings are equal. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : 1))) : v,
  );
}
const fold = (events: readonly LifecycleEvent[]) => events.reduce(evolve, emptyJourney(lead.tenantId, lead.leadId));

const MEMBERS = ['11111111-1111-4111-8111-111111111111', '22222222-2222-4222-8222-222222222222'];
const APPOINTMENTS = ['aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', 'bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb'];
// Few distinct instants, so histories are full of ties that only the event id can break.
const instantArb = fc.integer({ min: 0, max: 5 }).map((h) => new Date(Date.UTC(2025, 2, 10, h)).toISOString());

const eventArb: fc.Arbitrary<LifecycleEvent> = fc
  .tuple(fc.integer({ min: 0, max: 16 }), instantArb, instantArb, fc.constantFrom(...MEMBERS), fc.constantFrom(...APPOINTMENTS))
  .map(([kind, at, deadline, member, appointment]) => {
    const builders: Array<() => LifecycleEvent> = [
      () => e.captured(lead, at, { entryPath: member === MEMBERS[0] ? 'phone' : 'web_form', score: deadline.length }),
      () => e.assigned(lead, at, { owner: member, queue: appointment, claimDeadline: deadline }),
      () => e.claimed(lead, at, { member, firstTouchDeadline: deadline }),
      () => e.claimed(lead, at, { member }),
      () => e.reassigned(lead, at, { from: MEMBERS[0]!, to: member, queue: appointment }),
      () => e.attempted(lead, at, member),
      () => e.contacted(lead, at, member),
      () => e.qualified(lead, at, member),
      () => e.disqualified(lead, at, member),
      () => e.closed(lead, at, member === MEMBERS[0] ? 'won' : 'nurture'),
      () => e.booked(lead, at, { appointment, setter: member }),
      () => e.confirmed(lead, at, appointment),
      () => e.rescheduled(lead, at, appointment),
      () => e.cancelled(lead, at, appointment),
      () => e.held(lead, at, appointment),
      () => e.noShow(lead, at, appointment),
      () => e.reminderSent(lead, at, appointment),
    ];
    return builders[kind]!();
  });

const historyArb = fc.array(eventArb, { minLength: 1, maxLength: 25 });
const permutedArb = historyArb.chain((events) => fc.tuple(fc.constant(events), fc.shuffledSubarray(events, { minLength: events.length, maxLength: events.length })));

describe('evolve', () => {
  it('gives the same journey whatever order the events arrive in', () => {
    fc.assert(fc.property(permutedArb, ([events, shuffled]) => canonical(fold(shuffled)) === canonical(fold(events))), { numRuns: 300 });
  });

  it('ignores redelivered events, however many and wherever they land', () => {
    const withRepeats = historyArb.chain((events) =>
      fc.tuple(fc.constant(events), fc.shuffledSubarray([...events, ...events, ...events], { minLength: events.length * 3, maxLength: events.length * 3 })),
    );
    fc.assert(fc.property(withRepeats, ([events, repeated]) => canonical(fold(repeated)) === canonical(fold(events))), { numRuns: 200 });
  });

  it('is a join: folding two halves separately and then together equals folding the whole', () => {
    fc.assert(
      fc.property(historyArb, historyArb, (a, b) => canonical([...b].reduce(evolve, fold(a))) === canonical(fold([...a, ...b]))),
      { numRuns: 100 },
    );
  });

  it('hands back the very same journey for an event it already holds (redeliveries cost no write)', () => {
    const withEvent = historyArb.chain((events) => fc.tuple(fc.constant(events), fc.constantFrom(...events)));
    fc.assert(fc.property(withEvent, ([events, again]) => {
      const journey = fold(events);
      return evolve(journey, again) === journey;
    }), { numRuns: 200 });
  });

  it('derives the same row from equal journeys', () => {
    fc.assert(fc.property(permutedArb, ([events, shuffled]) => canonical(toRow(fold(shuffled))) === canonical(toRow(fold(events)))), { numRuns: 100 });
  });
});

describe('a lead journey', () => {
  const [o1, o2] = MEMBERS as [string, string];
  const [a1, a2] = APPOINTMENTS as [string, string];

  it('given a no-show later corrected to held, counts the appointment as held, not missed', () => {
    const row = toRow(fold([e.held(lead, '2025-03-12T15:30:00Z', a1), e.booked(lead, '2025-03-10T10:30:00Z', { appointment: a1 }), e.noShow(lead, '2025-03-12T15:20:00Z', a1)]));
    expect(row).toMatchObject({ held_at: '2025-03-12T15:30:00.000Z', no_show_at: null, appointments: 1, appointments_held: 1, appointments_no_show: 0, loop_closed: true });
  });

  it('given a reassignment that arrives before the assignment, ends with the latest owner by time', () => {
    const row = toRow(fold([
      e.reassigned(lead, '2025-03-10T11:00:00Z', { from: o1, to: o2, queue: a2 }),
      e.assigned(lead, '2025-03-10T10:00:00Z', { owner: o1, queue: a1, claimDeadline: '2025-03-10T10:05:00Z' }),
    ]));
    expect(row).toMatchObject({ owner_id: o2, queue_id: a2, assigned_at: '2025-03-10T10:00:00.000Z', claim_deadline: '2025-03-10T10:05:00.000Z' });
  });

  it('given cancelled and rescheduled slots, keeps them apart from held and counts each reschedule once', () => {
    const reschedule = e.rescheduled(lead, '2025-03-11T09:00:00Z', a1);
    const row = toRow(fold([
      e.booked(lead, '2025-03-10T10:00:00Z', { appointment: a1 }), reschedule, reschedule, e.rescheduled(lead, '2025-03-11T10:00:00Z', a1),
      e.cancelled(lead, '2025-03-11T11:00:00Z', a1), e.booked(lead, '2025-03-12T10:00:00Z', { appointment: a2 }),
    ]));
    expect(row).toMatchObject({ held_at: null, appointments: 2, appointments_cancelled: 1, appointments_open: 1, appointments_rescheduled: 1, reschedules: 2, loop_closed: false });
  });

  it('given a claim after the deadline of the first assignment, fails ownership in SLA even after a reassignment', () => {
    const row = toRow(fold([
      e.captured(lead, '2025-03-10T10:00:00Z'),
      e.assigned(lead, '2025-03-10T10:00:00Z', { owner: o1, queue: a1, claimDeadline: '2025-03-10T10:05:00Z' }),
      e.reassigned(lead, '2025-03-10T10:06:00Z', { from: o1, to: o2, queue: a1 }),
      e.claimed(lead, '2025-03-10T10:07:00Z', { member: o2, firstTouchDeadline: '2025-03-10T10:30:00Z' }),
      e.attempted(lead, '2025-03-10T10:20:00Z', o2),
    ]));
    expect(row).toMatchObject({ claim_in_sla: false, touch_in_sla: true, bin_capture_claim: 7, bin_claim_touch: 9, last_stage: 'first_touch', owner_id: o2 });
  });

  it('given events but no capture, reaches later stages without joining any cohort', () => {
    const row = toRow(fold([e.contacted(lead, '2025-03-10T10:00:00Z', o1)]));
    expect(row).toMatchObject({ captured_at: null, contacted_at: '2025-03-10T10:00:00.000Z', first_touch_at: '2025-03-10T10:00:00.000Z', last_stage: 'contacted' });
  });
});
