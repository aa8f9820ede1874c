import { isIanaTimeZone, timeZoneSchema } from '../src/index.js';

describe('isIanaTimeZone', () => {
  it.each(['America/New_York', 'Europe/Paris', 'America/Argentina/Buenos_Aires', 'America/Port-au-Prince', 'UTC', 'Etc/GMT+5', 'US/Eastern'])(
    'given %s, when checked, then it is a time zone',
    (tz) => {
      expect(isIanaTimeZone(tz)).toBe(true);
      expect(timeZoneSchema.safeParse(tz).success).toBe(true);
    },
  );

  it.each(['Mars/Olympus', '', '+05:00', 'america/new_york', 'EST ', 'Europe/../etc/passwd', 'A'.repeat(100)])(
    "given '%s', when checked, then it is not a time zone",
    (tz) => {
      expect(isIanaTimeZone(tz)).toBe(false);
      expect(timeZoneSchema.safeParse(tz).success).toBe(false);
    },
  );
});
