import type { EventData } from '@baton/contracts';
import type { LeadFacts, Rule, RuleMatch } from './types.js';

/** The fields routing rules can look at, taken from a lead.captured payload. */
export function leadFactsOf(data: EventData<'lead.captured'>): LeadFacts {
  return {
    entryPath: data.entryPath,
    campaign: data.source.campaign,
    country: data.company.country,
    timeZone: data.timeZone,
    companySize: data.company.size,
    attributes: data.attributes,
  };
}

/** Lower end of a head-count band: '11-50' is 11, '1000+' is 1000. */
export function sizeLowerBound(band: string): number | undefined {
  const digits = /^(\d+)/.exec(band)?.[1];
  return digits === undefined ? undefined : Number(digits);
}

// An absent lead field never matches a condition on it: a rule for "country DE" must not catch leads
// whose country is unknown.
function oneOf(values: readonly unknown[] | undefined, actual: unknown): boolean {
  if (values === undefined) return true;
  return actual !== undefined && actual !== null && values.includes(actual);
}

function sizeWithin(bounds: RuleMatch['companySize'], band: string | undefined): boolean {
  if (bounds === undefined) return true;
  const lower = band === undefined ? undefined : sizeLowerBound(band);
  if (lower === undefined) return false;
  return (bounds.min === undefined || lower >= bounds.min) && (bounds.max === undefined || lower <= bounds.max);
}

/** Whether every condition of `match` holds for the lead (an empty match catches every lead). */
export function ruleMatches(match: RuleMatch, lead: LeadFacts): boolean {
  const attributes = Object.entries(match.attributes ?? {});
  return (
    oneOf(match.entryPath, lead.entryPath) &&
    oneOf(match.campaign, lead.campaign) &&
    oneOf(match.country, lead.country) &&
    oneOf(match.timeZone, lead.timeZone) &&
    sizeWithin(match.companySize, lead.companySize) &&
    attributes.every(([key, values]) => oneOf(values, Object.hasOwn(lead.attributes, key) ? lead.attributes[key] : undefined))
  );
}

/** Which queue a lead goes to and why. */
export type QueueChoice = { queueId: string; rule: Rule | null };

/** The first active matching rule in order picks the queue; else the default queue; null when neither exists. */
export function chooseQueue(rules: readonly Rule[], defaultQueueId: string | null, lead: LeadFacts): QueueChoice | null {
  const ordered = [...rules].sort((a, b) => a.position - b.position);
  const rule = ordered.find((candidate) => candidate.active && ruleMatches(candidate.match, lead));
  if (rule) return { queueId: rule.queueId, rule };
  return defaultQueueId === null ? null : { queueId: defaultQueueId, rule: null };
}
