import { eventDataSchemas, isIanaTimeZone } from '@baton/contracts';
import { isSupportedCountry, parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js/core';
// The max metadata checks number ranges, not only lengths: a typo'd number fails here, not on the first dial.
// Passed explicitly (core + metadata) rather than through 'libphonenumber-js/max', whose relative JSON
// import trips jest's `.js` module mapper.
import metadata from 'libphonenumber-js/max/metadata';
import { emptyContext, type Contact, type FieldError, type LeadContent, type LeadInput } from './lead.js';
import { inferTimeZone } from './time-zone.js';

// The contract's own email rule, so a normalised address always passes the lead.captured schema.
const emailSchema = eventDataSchemas['lead.captured'].shape.contact.shape.email.unwrap();

/** Source recorded when a client names none; the contract requires one. */
/** Longest raw phone number accepted, before normalisation. */
export const MAX_RAW_PHONE_LENGTH = 40;

export const UNSPECIFIED_SOURCE = { system: 'unspecified' } as const;

/** Outcome of normalising one lead: its content, or every field the client must fix. */
export type Normalised = { ok: true; lead: LeadContent } | { ok: false; errors: FieldError[] };

/** Trimmed and lower-cased, or an error when that is not an address. */
export function normaliseEmail(raw: string): { email: string } | { error: string } {
  const email = raw.trim().toLowerCase();
  return emailSchema.safeParse(email).success ? { email } : { error: 'must be an email address' };
}

/** E.164 (the tenant's region applies to national numbers) plus the number's country, or an error. */
export function normalisePhone(raw: string, defaultRegion: string): { phone: string; country?: string } | { error: string } {
  const region = isSupportedCountry(defaultRegion as CountryCode, metadata) ? (defaultRegion as CountryCode) : undefined;
  const parsed = parsePhoneNumberFromString(raw, { defaultCountry: region }, metadata);
  if (!parsed?.isValid()) {
    return { error: region ? `must be a valid phone number (national numbers are read as ${region})` : 'must be a valid phone number in international format' };
  }
  return parsed.country === undefined ? { phone: parsed.number } : { phone: parsed.number, country: parsed.country };
}

/**
 * The phone check alone, for a body that failed its schema: the phone needs the tenant's region, so the
 * schema cannot check it, yet the answer should name it with every other bad field. Reads the raw body.
 */
export function rawPhoneErrors(raw: unknown, defaultRegion: string, field = 'body'): FieldError[] {
  const phone = (raw as { contact?: { phone?: unknown } } | null | undefined)?.contact?.phone;
  // Anything else about it (not a string, too long) is already a schema error.
  if (typeof phone !== 'string' || phone.length > MAX_RAW_PHONE_LENGTH) return [];
  const result = normalisePhone(phone, defaultRegion);
  return 'error' in result ? [{ field: `${field}.contact.phone`, message: result.error }] : [];
}

function normaliseContact(input: LeadInput['contact'], region: string, field: string, errors: FieldError[]) {
  const contact: Contact = {};
  let phoneCountry: string | undefined;
  const name = input?.name?.trim();
  if (name) contact.name = name;
  if (input?.email !== undefined) {
    const result = normaliseEmail(input.email);
    if ('error' in result) errors.push({ field: `${field}.contact.email`, message: result.error });
    else contact.email = result.email;
  }
  if (input?.phone !== undefined) {
    const result = normalisePhone(input.phone, region);
    if ('error' in result) errors.push({ field: `${field}.contact.phone`, message: result.error });
    else {
      contact.phone = result.phone;
      phoneCountry = result.country;
    }
  }
  if (input?.preferredChannel !== undefined) contact.preferredChannel = input.preferredChannel;
  return { contact, phoneCountry };
}

/**
 * Normalises a validated lead for a tenant whose national phone numbers are in `defaultRegion`.
 * `field` prefixes error paths (`body`, or `body.leads.3` in a batch).
 */
export function normaliseLead(input: LeadInput, defaultRegion: string, field = 'body'): Normalised {
  const errors: FieldError[] = [];
  const { contact, phoneCountry } = normaliseContact(input.contact, defaultRegion, field, errors);
  let timeZone: string | null = null;
  if (typeof input.timeZone === 'string') {
    if (isIanaTimeZone(input.timeZone)) timeZone = input.timeZone;
    else errors.push({ field: `${field}.timeZone`, message: 'must be an IANA time zone name' });
  } else {
    timeZone = inferTimeZone(phoneCountry);
  }
  if (errors.length > 0) return { ok: false, errors };
  return {
    ok: true,
    lead: {
      entryPath: input.entryPath,
      contact,
      timeZone,
      company: { ...input.company },
      source: input.source ?? { ...UNSPECIFIED_SOURCE },
      externalIds: { ...input.externalIds },
      context: { ...emptyContext(), ...input.context },
      attributes: { ...input.attributes },
    },
  };
}
