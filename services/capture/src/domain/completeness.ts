import type { Completeness, EntryPath, LeadContent } from './lead.js';

/**
 * A requirement is a field path (`context.timeline`, `attributes.budget`) or alternatives joined by `|`
 * (`contact.email|contact.phone`), met when any alternative holds a non-empty value.
 */
export type Requirement = string;

/** The per-tenant part of Tenant.settings that shapes completeness. */
export type CompletenessSettings = {
  requiredFields?: string[] | undefined;
  requiredByEntryPath?: Partial<Record<string, string[]>> | undefined;
};

/** What every lead needs before a setter can act without re-asking: a way to reach them, when, why, what next. */
export const DEFAULT_REQUIRED: readonly Requirement[] = [
  'contact.email|contact.phone',
  'timeZone',
  'context.painPoints',
  'context.timeline',
  'context.agreedNextStep',
];

/** Each door fails differently, so each adds what its follow-up depends on. */
export const DEFAULT_REQUIRED_BY_ENTRY_PATH: Readonly<Record<EntryPath, readonly Requirement[]>> = {
  // A caller is called back: without the number the lead is lost.
  phone: ['contact.phone'],
  // A form's follow-up email is the first touch.
  web_form: ['contact.email'],
  // An estimate needs to know what or where to estimate.
  estimate_request: ['company.name|attributes.address'],
  chat: [],
  // Thanking and crediting the referrer is part of the follow-up.
  referral: ['source.referrer'],
  other: [],
};

/** The requirements that apply to a lead of this entry path, after the tenant's overrides (which replace, not add). */
export function requirementsFor(entryPath: EntryPath, settings: CompletenessSettings = {}): Requirement[] {
  const base = settings.requiredFields ?? DEFAULT_REQUIRED;
  const override = settings.requiredByEntryPath?.[entryPath];
  const byPath = override ?? DEFAULT_REQUIRED_BY_ENTRY_PATH[entryPath];
  const all = [...base, ...byPath].map((req) => req.trim()).filter((req) => req.length > 0 && req.length <= 500);
  return [...new Set(all)];
}

function valueAt(root: unknown, path: string): unknown {
  let node = root;
  for (const key of path.split('.')) {
    // Own keys only: a tenant's path like `contact.constructor` must not reach Object.prototype.
    if (node === null || typeof node !== 'object' || !Object.hasOwn(node, key)) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

function isFilled(value: unknown): boolean {
  if (value === undefined || value === null) return false;
  if (typeof value === 'string') return value.trim().length > 0;
  if (Array.isArray(value)) return value.length > 0;
  if (typeof value === 'object') return Object.values(value).some(isFilled);
  return true;
}

/** True when any alternative of the requirement holds a value. */
export function isMet(lead: LeadContent, requirement: Requirement): boolean {
  return requirement.split('|').some((path) => isFilled(valueAt(lead, path.trim())));
}

/** Score 0-100 (share of requirements met) and the requirements still missing, in their configured order. */
export function assessCompleteness(lead: LeadContent, settings: CompletenessSettings = {}): Completeness {
  const requirements = requirementsFor(lead.entryPath, settings);
  const missing = requirements.filter((req) => !isMet(lead, req));
  const score = requirements.length === 0 ? 100 : Math.round((100 * (requirements.length - missing.length)) / requirements.length);
  return { score, missing };
}
