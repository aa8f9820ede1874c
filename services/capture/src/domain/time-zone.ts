// Country -> time zone comes from the runtime's ICU/CLDR data (`Intl.Locale#getTimeZones`, formerly the
// `timeZones` getter), which CLDR derives from the IANA tz database's zone.tab. Neither libphonenumber-js
// nor Intl.supportedValuesOf map countries to zones, and a hand-written table would rot as zones change;
// ICU data ships with (and is updated with) Node itself.

type LocaleWithZones = Intl.Locale & { getTimeZones?: () => string[]; timeZones?: string[] };

const zonesByCountry = new Map<string, readonly string[]>();

/** The IANA zones CLDR lists for an ISO-3166 alpha-2 country; empty when unknown or unsupported by the runtime. */
export function zonesOfCountry(country: string): readonly string[] {
  const cached = zonesByCountry.get(country);
  if (cached) return cached;
  let zones: readonly string[] = [];
  if (/^[A-Z]{2}$/.test(country)) {
    try {
      const locale = new Intl.Locale(`und-${country}`) as LocaleWithZones;
      zones = locale.getTimeZones?.() ?? locale.timeZones ?? [];
    } catch {
      zones = [];
    }
  }
  zonesByCountry.set(country, zones);
  return zones;
}

/**
 * The zone of a country that has exactly one (France, Japan, India, the UK); null where it has several
 * (US, Germany with Busingen, Spain with the Canaries): guessing there would schedule calls at the wrong hour.
 */
export function inferTimeZone(country: string | undefined): string | null {
  if (country === undefined) return null;
  const zones = zonesOfCountry(country);
  return zones.length === 1 ? (zones[0] ?? null) : null;
}
