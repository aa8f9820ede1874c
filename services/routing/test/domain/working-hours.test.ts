import { addWorkingTime, isWithinWorkingHours, localDate } from '../../src/domain/working-hours.js';
import type { WeeklyHours } from '../../src/domain/types.js';

const weekdays9to17: WeeklyHours = Object.fromEntries(['mon', 'tue', 'wed', 'thu', 'fri'].map((d) => [d, [{ start: '09:00', end: '17:00' }]]));
const everyNight0to6: WeeklyHours = Object.fromEntries(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'].map((d) => [d, [{ start: '00:00', end: '06:00' }]]));
const at = (iso: string) => new Date(iso);

describe('working hours', () => {
  it('reads hours in the member\'s own zone', () => {
    // Monday 2025-03-03 15:00 UTC is 09:00 in Chicago (CST) and 16:00 in Paris (CET).
    const instant = at('2025-03-03T15:00:00Z');
    expect(isWithinWorkingHours(instant, weekdays9to17, 'America/Chicago')).toBe(true);
    expect(isWithinWorkingHours(instant, weekdays9to17, 'Europe/Paris')).toBe(true);
    expect(isWithinWorkingHours(instant, weekdays9to17, 'Asia/Tokyo')).toBe(false); // 00:00 Tuesday
    expect(isWithinWorkingHours(at('2025-03-03T14:59:00Z'), weekdays9to17, 'America/Chicago')).toBe(false);
  });

  it('keeps 09:00 at 09:00 local across a daylight-saving change', () => {
    // New York springs forward on Sunday 2025-03-09: 09:00 is 14:00 UTC on Friday the 7th, 13:00 UTC on Monday the 10th.
    expect(isWithinWorkingHours(at('2025-03-07T14:00:00Z'), weekdays9to17, 'America/New_York')).toBe(true);
    expect(isWithinWorkingHours(at('2025-03-07T13:30:00Z'), weekdays9to17, 'America/New_York')).toBe(false);
    expect(isWithinWorkingHours(at('2025-03-10T13:00:00Z'), weekdays9to17, 'America/New_York')).toBe(true);
    expect(isWithinWorkingHours(at('2025-03-10T21:00:00Z'), weekdays9to17, 'America/New_York')).toBe(false); // 17:00 EDT
  });

  it('treats null hours as always available and a missing day as a day off', () => {
    expect(isWithinWorkingHours(at('2025-03-08T03:00:00Z'), null, 'UTC')).toBe(true);
    expect(isWithinWorkingHours(at('2025-03-08T12:00:00Z'), weekdays9to17, 'UTC')).toBe(false); // Saturday
  });

  it('gives the member\'s local date for per-day caps', () => {
    expect(localDate(at('2025-03-04T03:00:00Z'), 'America/Los_Angeles')).toBe('2025-03-03');
    expect(localDate(at('2025-03-04T03:00:00Z'), 'Asia/Tokyo')).toBe('2025-03-04');
  });
});

describe('addWorkingTime (business-hours SLA clocks)', () => {
  it('counts only working time, skipping nights and weekends', () => {
    // Friday 16:55 Paris + 10 minutes of working time = Monday 09:05 Paris.
    expect(addWorkingTime(at('2025-03-07T15:55:00Z'), 600, weekdays9to17, 'Europe/Paris').toISOString()).toBe('2025-03-10T08:05:00.000Z');
    // Before opening: the clock starts at 09:00.
    expect(addWorkingTime(at('2025-03-04T06:00:00Z'), 300, weekdays9to17, 'Europe/Paris').toISOString()).toBe('2025-03-04T08:05:00.000Z');
  });

  it('follows wall-clock hours across the spring-forward change', () => {
    // Friday 2025-03-07 16:30 EST (21:30Z) + 1 h: 30 min on Friday, 30 min from Monday 09:00 EDT (13:00Z).
    expect(addWorkingTime(at('2025-03-07T21:30:00Z'), 3600, weekdays9to17, 'America/New_York').toISOString()).toBe('2025-03-10T13:30:00.000Z');
  });

  it('counts a shift crossing the change in real time: 00:00-06:00 that night is 5 hours', () => {
    // Sunday 2025-03-09 00:00 EST (05:00Z). 5.5 h of work: the night shift ends 06:00 EDT (10:00Z) after 5 real
    // hours, so the last 30 min fall on Monday 00:00-00:30 EDT (04:00-04:30Z).
    expect(addWorkingTime(at('2025-03-09T05:00:00Z'), 5.5 * 3600, everyNight0to6, 'America/New_York').toISOString()).toBe('2025-03-10T04:30:00.000Z');
    // In the autumn the same shift is 7 hours long (01:00-02:00 happens twice): 6.5 h fit in one night.
    expect(addWorkingTime(at('2025-11-02T04:00:00Z'), 6.5 * 3600, everyNight0to6, 'America/New_York').toISOString()).toBe('2025-11-02T10:30:00.000Z');
  });

  it('falls back to wall-clock time when there is no working time at all', () => {
    expect(addWorkingTime(at('2025-03-03T10:00:00Z'), 60, {}, 'UTC').toISOString()).toBe('2025-03-03T10:01:00.000Z');
    expect(addWorkingTime(at('2025-03-03T10:00:00Z'), 60, null, 'UTC').toISOString()).toBe('2025-03-03T10:01:00.000Z');
  });
});
