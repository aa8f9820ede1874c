import { LADDER_SECONDS, binOf, quantileOf } from '../../src/domain/durations.js';
import { funnelReport } from '../../src/domain/funnel.js';
import { redactForAudit } from '../../src/domain/redact.js';
import { scoreOf, scorecardReport } from '../../src/domain/scorecard.js';
import { parseBound, planWindow } from '../../src/domain/window.js';
import { decodeEvent } from '@baton/contracts';
import fc from 'fast-check';
import * as e from '../fixtures/events.js';

describe('cohort windows', () => {
  it('reads dates as local midnight in the zone, to the exact offset (Kathmandu is UTC+5:45)', () => {
    expect(parseBound('2025-03-01', 'Asia/Kathmandu')?.toISOString()).toBe('2025-02-28T18:15:00.000Z');
    expect(parseBound('2025-03-01', 'UTC')?.toISOString()).toBe('2025-03-01T00:00:00.000Z');
    // The day DST starts in Chicago is 23 hours long; midnights are still midnights.
    expect(parseBound('2025-03-09', 'America/Chicago')?.toISOString()).toBe('2025-03-09T06:00:00.000Z');
    expect(parseBound('2025-03-10', 'America/Chicago')?.toISOString()).toBe('2025-03-10T05:00:00.000Z');
    expect(parseBound('2025-03-01T10:00:00+02:00', 'Asia/Kathmandu')?.toISOString()).toBe('2025-03-01T08:00:00.000Z');
    expect(parseBound('2025-02-30', 'UTC')).toBeNull();
    expect(parseBound('2025-03-01T10:00:00', 'UTC')).toBeNull();
  });

  it('answers March in Chicago as the UTC month minus and plus a few hours', () => {
    const plan = planWindow({ from: parseBound('2025-03-01', 'America/Chicago')!, to: parseBound('2025-04-01', 'America/Chicago')! });
    const shown = plan.buckets.map((b) => `${b.sign > 0 ? '+' : '-'}${b.level} ${b.start.slice(0, 13)}`);
    // Local midnight in Chicago is 06:00 UTC on March 1 (UTC-6) and 05:00 UTC on April 1 (UTC-5, after DST).
    expect(shown).toEqual([
      ...[0, 1, 2, 3, 4, 5].map((h) => `-hour 2025-03-01T0${h}`),
      '+month 2025-03-01T00',
      ...[0, 1, 2, 3, 4].map((h) => `+hour 2025-04-01T0${h}`),
    ]);
    expect(plan.edges).toEqual([]);
  });

  it('covers any window exactly: signed buckets add up to every hour inside once, and nothing outside', () => {
    const HOUR = 3_600_000;
    const hourArb = fc.integer({ min: 0, max: 3 * 365 * 24 }).map((h) => new Date(Date.UTC(2024, 0, 1) + h * HOUR));
    fc.assert(fc.property(hourArb, hourArb, (a, b) => {
      const [from, to] = a < b ? [a, b] : [b, a];
      const { buckets, edges } = planWindow({ from, to });
      const net = new Map<number, number>();
      for (const bucket of buckets) {
        const start = new Date(bucket.start);
        const end = bucket.level === 'hour' ? new Date(start.getTime() + HOUR)
          : bucket.level === 'day' ? new Date(start.getTime() + 24 * HOUR)
          : new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + 1, 1));
        for (let t = start.getTime(); t < end.getTime(); t += HOUR) net.set(t, (net.get(t) ?? 0) + bucket.sign);
      }
      const hours = (to.getTime() - from.getTime()) / HOUR;
      const inside = [...net].filter(([, n]) => n !== 0);
      // Exact, and small: whole months, then at most about half a month of days and half a day of hours per end.
      return edges.length === 0 && inside.length === hours && inside.every(([t, n]) => n === 1 && t >= from.getTime() && t < to.getTime())
        && buckets.length < 37 + 2 * (16 + 13);
    }), { numRuns: 300 });
  });

  it('leaves sub-hour edges to the journeys', () => {
    const plan = planWindow({ from: parseBound('2025-03-01', 'Asia/Kathmandu')!, to: parseBound('2025-04-01', 'Asia/Kathmandu')! });
    expect(plan.edges).toEqual([
      { from: new Date('2025-02-28T18:15:00Z'), to: new Date('2025-02-28T19:00:00Z') },
      { from: new Date('2025-03-31T18:00:00Z'), to: new Date('2025-03-31T18:15:00Z') },
    ]);
    expect(plan.buckets.length).toBeLessThan(15);
    const inside = { from: new Date('2025-03-01T01:10:00Z'), to: new Date('2025-03-01T01:50:00Z') };
    expect(planWindow(inside)).toEqual({ buckets: [], edges: [inside] });
  });
});

describe('durations', () => {
  it('bins by the first ladder bound at or above the duration; negative spans count as zero', () => {
    expect(binOf('2025-03-10T10:00:00Z', '2025-03-10T10:02:00Z')).toBe(LADDER_SECONDS.indexOf(120));
    expect(binOf('2025-03-10T10:00:00Z', '2025-03-10T10:02:00.001Z')).toBe(LADDER_SECONDS.indexOf(180));
    expect(binOf('2025-03-10T10:00:00Z', '2025-03-10T09:00:00Z')).toBe(0);
    expect(binOf('2020-01-01T00:00:00Z', '2025-01-01T00:00:00Z')).toBe(LADDER_SECONDS.length);
    expect(binOf(null, '2025-03-10T09:00:00Z')).toBeNull();
  });

  it('reports nearest-rank percentiles as the bound of their bin', () => {
    const bins = new Array(LADDER_SECONDS.length + 1).fill(0);
    bins[3] = 5; // <= 120 s
    bins[9] = 4; // <= 900 s
    bins[LADDER_SECONDS.length] = 1; // beyond the last bound
    expect(quantileOf(bins, 0.5)).toBe(120);
    expect(quantileOf(bins, 0.9)).toBe(900);
    expect(quantileOf(bins, 1)).toBeNull();
    expect(quantileOf(bins.map(() => 0), 0.5)).toBeNull();
  });
});

describe('reports', () => {
  it('computes conversion from the previous stage over leads that reached both', () => {
    const report = funnelReport({ reached_captured: 4, reached_assigned: 2, kept_assigned: 2, reached_claimed: 3, kept_claimed: 1 });
    expect(report.stages.slice(0, 4)).toEqual([
      { stage: 'captured', count: 4, conversionFromPrevious: null, conversionFromCapture: 1 },
      { stage: 'assigned', count: 2, conversionFromPrevious: 0.5, conversionFromCapture: 0.5 },
      { stage: 'claimed', count: 3, conversionFromPrevious: 0.5, conversionFromCapture: 0.75 },
      { stage: 'first_touch', count: 0, conversionFromPrevious: 0, conversionFromCapture: 0 },
    ]);
  });

  it('maps rates to 1-5 scores and an entry path to the rounded mean of its checks', () => {
    expect([0.95, 0.9499, 0.85, 0.7, 0.5, 0.4999, 0, null].map(scoreOf)).toEqual([5, 4, 4, 3, 2, 1, 1, null]);
    const card = scorecardReport({ reached_captured: 10, complete: 10, claim_in_sla: 9, reached_claimed: 8, touch_in_sla: 4, loop_closed: 1 });
    expect(card.checks.map((c) => [c.check, c.rate, c.score])).toEqual([
      ['capture_completeness', 1, 5],
      ['ownership_in_sla', 0.9, 4],
      ['first_touch_in_sla', 0.5, 2],
      ['booking_confirmed', null, null],
      ['loop_closed', 0.1, 1],
    ]);
    expect(card.score).toBe(3); // (5 + 4 + 2 + 1) / 4 = 3
  });
});

describe('audit redaction', () => {
  it('drops names, emails, phones and notes, keeps what the fold needs, and still decodes', () => {
    const event = e.captured(e.newLead('t'), '2025-03-10T10:00:00Z', { campaign: 'spring', score: 70 });
    const stored = redactForAudit(event);
    const text = JSON.stringify(stored);
    for (const secret of ['Test Person', 'person@example.com', '+14155550123', 'call after 3pm']) expect(text).not.toContain(secret);
    expect(stored).toMatchObject({ id: event.id, tenantid: 't', data: { entryPath: 'web_form', source: { campaign: 'spring' }, completeness: { score: 70 } } });
    expect(decodeEvent(text).ok).toBe(true);
  });
});
