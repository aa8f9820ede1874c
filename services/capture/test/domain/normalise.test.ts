import { normaliseEmail, normaliseLead, normalisePhone } from '../../src/domain/normalise.js';
import { inferTimeZone, zonesOfCountry } from '../../src/domain/time-zone.js';

describe('normaliseEmail', () => {
  it('trims and lower-cases', () => {
    expect(normaliseEmail('  Ada.Lovelace@Example.COM \n')).toEqual({ email: 'ada.lovelace@example.com' });
  });

  it('rejects what is not an address', () => {
    expect(normaliseEmail('ada@')).toEqual({ error: 'must be an email address' });
    expect(normaliseEmail('   ')).toHaveProperty('error');
  });
});

describe('normalisePhone', () => {
  it("reads national numbers in the tenant's region and answers E.164 with the number's country", () => {
    expect(normalisePhone('(415) 555-2671', 'US')).toEqual({ phone: '+14155552671', country: 'US' });
    expect(normalisePhone('020 7946 0958', 'GB')).toEqual({ phone: '+442079460958', country: 'GB' });
  });

  it('keeps international numbers whatever the region, and finds the country behind a shared calling code', () => {
    expect(normalisePhone('+33 1 42 68 53 00', 'US')).toEqual({ phone: '+33142685300', country: 'FR' });
    expect(normalisePhone('+1 204 555 0123', 'US')).toEqual({ phone: '+12045550123', country: 'CA' });
  });

  it('rejects numbers that cannot exist', () => {
    expect(normalisePhone('12', 'US')).toHaveProperty('error');
    expect(normalisePhone('not a phone', 'US')).toHaveProperty('error');
    expect(normalisePhone('+1 000 000 0000', 'US')).toHaveProperty('error');
  });

  it('needs an international prefix when the region is unknown', () => {
    expect(normalisePhone('020 7946 0958', 'ZZ')).toEqual({ error: 'must be a valid phone number in international format' });
    expect(normalisePhone('+44 20 7946 0958', 'ZZ')).toEqual({ phone: '+442079460958', country: 'GB' });
  });
});

describe('time zone inference', () => {
  it("takes the zone of a country that has exactly one, from the runtime's CLDR data", () => {
    expect(zonesOfCountry('FR')).toEqual(['Europe/Paris']);
    expect(inferTimeZone('FR')).toBe('Europe/Paris');
    expect(inferTimeZone('JP')).toBe('Asia/Tokyo');
  });

  it('refuses to guess for countries with several zones, or none known', () => {
    expect(inferTimeZone('US')).toBeNull();
    expect(inferTimeZone('ES')).toBeNull();
    expect(inferTimeZone('XX')).toBeNull();
    expect(inferTimeZone('not a country')).toBeNull();
    expect(inferTimeZone(undefined)).toBeNull();
  });
});

describe('normaliseLead', () => {
  it('normalises contact fields and fills every context list', () => {
    const result = normaliseLead({ entryPath: 'web_form', contact: { name: '  Ada ', email: ' ADA@X.IO ', phone: '+33 1 42 68 53 00' } }, 'US');
    expect(result).toEqual({
      ok: true,
      lead: {
        entryPath: 'web_form',
        contact: { name: 'Ada', email: 'ada@x.io', phone: '+33142685300' },
        // France has one zone, so the phone tells it.
        timeZone: 'Europe/Paris',
        company: {},
        source: { system: 'unspecified' },
        externalIds: {},
        context: { painPoints: [], budgetSignals: [], stakeholders: [], objections: [] },
        attributes: {},
      },
    });
  });

  it("keeps a given time zone over the phone's, and leaves it missing when the phone's country has several", () => {
    const given = normaliseLead({ entryPath: 'phone', contact: { phone: '+33142685300' }, timeZone: 'America/Chicago' }, 'US');
    expect(given.ok && given.lead.timeZone).toBe('America/Chicago');
    const us = normaliseLead({ entryPath: 'phone', contact: { phone: '(415) 555-2671' } }, 'US');
    expect(us.ok && us.lead.timeZone).toBeNull();
  });

  it('names every bad field under the given prefix', () => {
    const result = normaliseLead({ entryPath: 'phone', contact: { email: 'nope', phone: '123' }, timeZone: 'Mars/Olympus' }, 'US', 'body.leads.4');
    expect(result).toEqual({
      ok: false,
      errors: [
        { field: 'body.leads.4.contact.email', message: 'must be an email address' },
        { field: 'body.leads.4.contact.phone', message: expect.stringContaining('valid phone number') },
        { field: 'body.leads.4.timeZone', message: 'must be an IANA time zone name' },
      ],
    });
  });

  it('drops a blank name rather than storing whitespace', () => {
    const result = normaliseLead({ entryPath: 'chat', contact: { name: '   ' } }, 'US');
    expect(result.ok && result.lead.contact).toEqual({});
  });
});
