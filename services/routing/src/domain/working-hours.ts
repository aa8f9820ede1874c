import { DateTime } from 'luxon';
import { WEEKDAYS, type Absence, type TimeSpan, type WeeklyHours } from './types.js';

// Working hours are wall-clock times in the member's own IANA zone, so "09:00-17:00" stays 09:00-17:00 across
// a daylight-saving change (and a shift crossing the change is an hour shorter or longer in real time).
// Instants are always compared in UTC milliseconds; luxon only translates local wall-clock to instants.

// A business-hours deadline looks this far ahead for working time before falling back to wall-clock time:
// a member with no working time in two weeks must not produce a deadline that never comes.
const LOOKAHEAD_DAYS = 14;

/** Minutes since local midnight of 'HH:mm' (24:00 allowed as the end of a day). */
export function minutesOf(hhmm: string): number {
  const [h = '0', m = '0'] = hhmm.split(':');
  return Number(h) * 60 + Number(m);
}

/** True when `span` is well formed: 'HH:mm' values, start before end, end at most 24:00. */
export function isValidSpan(span: TimeSpan): boolean {
  const pattern = /^([01]\d|2[0-3]):[0-5]\d$|^24:00$/;
  if (!pattern.test(span.start) || !pattern.test(span.end)) return false;
  return minutesOf(span.start) < minutesOf(span.end);
}

/** The instant (ms) at which the local wall-clock time `hhmm` occurs on `day` (a local start of day). */
function wallClock(day: DateTime, hhmm: string): number {
  const minutes = minutesOf(hhmm);
  if (minutes >= 24 * 60) return day.plus({ days: 1 }).startOf('day').toMillis();
  // set(), not plus(minutes): plus adds real time and would drift by the DST gap on a change day.
  // A wall-clock time that does not exist (02:30 on a spring-forward night) moves forward past the gap.
  return day.set({ hour: Math.floor(minutes / 60), minute: minutes % 60, second: 0, millisecond: 0 }).toMillis();
}

/** The working spans of one local day as [from, to) instants in ms, in order. */
function spansOn(day: DateTime, hours: WeeklyHours): Array<[number, number]> {
  const spans = hours[WEEKDAYS[day.weekday - 1] ?? 'mon'] ?? [];
  return spans.map((span): [number, number] => [wallClock(day, span.start), wallClock(day, span.end)]).sort((a, b) => a[0] - b[0]);
}

/** Whether `at` falls inside the member's working hours; null hours mean always available. */
export function isWithinWorkingHours(at: Date, hours: WeeklyHours | null, timeZone: string): boolean {
  if (hours === null) return true;
  const ms = at.getTime();
  const day = DateTime.fromMillis(ms, { zone: timeZone }).startOf('day');
  return spansOn(day, hours).some(([from, to]) => ms >= from && ms < to);
}

/** Whether `at` falls inside any [from, to) absence. */
export function isOutOfOffice(at: Date, absences: readonly Absence[]): boolean {
  const ms = at.getTime();
  return absences.some((absence) => ms >= Date.parse(absence.from) && ms < Date.parse(absence.to));
}

/** The member's local calendar date of `at`, 'yyyy-MM-dd': per-day caps reset at the member's midnight. */
export function localDate(at: Date, timeZone: string): string {
  return DateTime.fromMillis(at.getTime(), { zone: timeZone }).toISODate() ?? at.toISOString().slice(0, 10);
}

/**
 * The instant `seconds` of the member's working time after `start`: the SLA deadline of a queue whose clocks
 * count only business hours. Null hours count every second; no working time within two weeks falls back to
 * wall-clock time so that a deadline always exists.
 */
export function addWorkingTime(start: Date, seconds: number, hours: WeeklyHours | null, timeZone: string): Date {
  const wallClockDeadline = new Date(start.getTime() + seconds * 1000);
  if (hours === null) return wallClockDeadline;
  let remaining = seconds * 1000;
  let cursor = start.getTime();
  let day = DateTime.fromMillis(cursor, { zone: timeZone }).startOf('day');
  for (let i = 0; i <= LOOKAHEAD_DAYS; i += 1) {
    for (const [from, to] of spansOn(day, hours)) {
      const begin = Math.max(from, cursor);
      if (to <= begin) continue;
      if (to - begin >= remaining) return new Date(begin + remaining);
      remaining -= to - begin;
      cursor = to;
    }
    day = day.plus({ days: 1 }).startOf('day');
  }
  return wallClockDeadline;
}
