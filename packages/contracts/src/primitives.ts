import { z } from 'zod';

// Building blocks shared by every event payload. Keeping them in one place means a rule (what a UUID, an
// instant or a time zone is) has one definition that the zod schemas and the JSON Schema export both follow.

/** UUID (any RFC 9562 version), the id format of every Baton entity. */
export const uuidSchema = z.uuid();

/** Instant in UTC, ISO-8601 with a `Z` suffix: payload times are UTC so consumers never juggle offsets. */
export const utcInstantSchema = z.iso.datetime();

/** Non-empty, bounded single-line text (names, labels, short reasons). */
export const shortTextSchema = z.string().min(1).max(500);

/** Free text (notes, agendas); bounded so one payload cannot blow up a Kafka message. */
export const longTextSchema = z.string().max(10_000);

/** Short machine code such as `rule_match` or `smtp_timeout`: lower snake case, stable for dashboards. */
export const machineCodeSchema = z.string().regex(/^[a-z][a-z0-9_.]{0,63}$/, 'must be a lower snake_case code');

// Personal data stays in fields literally named name / email / phone so log redaction can match on keys.
/** Person's display name (personal data). */
export const personNameSchema = z.string().min(1).max(200);
/** Email address (personal data). */
export const emailSchema = z.email().max(320);
/** E.164 phone number, e.g. `+14155550123` (personal data). */
export const phoneSchema = z.string().regex(/^\+[1-9]\d{6,14}$/, 'must be an E.164 phone number');

// Intl already knows the IANA database the runtime ships; the Set makes the common case a lookup.
let supportedTimeZones: ReadonlySet<string> | undefined;

// Offsets like '+05:00' are accepted by newer Intl engines but are not IANA names; every IANA segment
// starts with an upper-case letter (America/Port-au-Prince, Etc/GMT+5, EST5EDT, UTC).
const IANA_NAME = /^[A-Z][A-Za-z0-9_+-]*(\/[A-Z][A-Za-z0-9_+-]*)*$/;

/** True when `tz` is an IANA time zone name the runtime can format in (canonical names, aliases, 'UTC'). */
export function isIanaTimeZone(tz: string): boolean {
  if (typeof tz !== 'string' || tz.length > 64 || !IANA_NAME.test(tz)) return false;
  supportedTimeZones ??= new Set(Intl.supportedValuesOf('timeZone'));
  if (supportedTimeZones.has(tz)) return true;
  // supportedValuesOf lists canonical names only; aliases (US/Eastern) and UTC are still valid zones.
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** IANA time zone name, e.g. `America/Chicago`. */
export const timeZoneSchema = z
  .string()
  .refine(isIanaTimeZone, { message: 'must be an IANA time zone name' })
  .meta({ description: 'IANA time zone name', examples: ['America/Chicago', 'Europe/Paris', 'UTC'] });

/** ISO-3166-1 alpha-2 country code. */
export const countryCodeSchema = z.string().regex(/^[A-Z]{2}$/, 'must be an ISO-3166-1 alpha-2 code');

/** Money amount; `currency` is an ISO-4217 code. Amounts are in major units (12.5 = twelve and a half). */
export const moneySchema = z.object({
  amount: z.number().min(0),
  currency: z.string().regex(/^[A-Z]{3}$/, 'must be an ISO-4217 currency code'),
});

/** Channel a lead was reached on (or prefers). */
export const contactChannelSchema = z.enum(['phone', 'email', 'sms', 'chat', 'video', 'in_person', 'other']);

/** Role a team member plays on a lead or in a meeting. */
export const memberRoleSchema = z.enum(['setter', 'rep', 'ae', 'manager']);

/** Which SLA a claim/escalation event is about. */
export const slaSchema = z.enum(['claim', 'first_touch']);

/**
 * Who did it. For `member` the id is the member's uuid; for `system` a Baton source such as `baton.routing`;
 * for `integration` the integration's name (a dialer, a CRM).
 */
export const actorSchema = z
  .object({
    type: z.enum(['member', 'system', 'integration']),
    id: z.string().min(1).max(200),
  })
  .refine((actor) => actor.type !== 'member' || uuidSchema.safeParse(actor.id).success, {
    message: 'a member actor id must be a uuid',
    path: ['id'],
  });

/** Who did it: a member, Baton itself, or an integration. */
export type Actor = z.infer<typeof actorSchema>;
