import type { EventData } from '@baton/contracts';
import { CONTEXT_LISTS, type LeadContent, type LeadContext } from './lead.js';

/** The merge-patch lead.updated carries: present keys replace the stored value. */
export type LeadChanges = EventData<'lead.updated'>['changes'];

/** A duplicate capture folded into an existing lead. */
export type MergeResult = { merged: LeadContent; changes: LeadChanges };

// The contract caps every context list at 50; the oldest facts win because they were there first.
const LIST_LIMIT = 50;
const CONTEXT_SCALARS = ['intent', 'timeline', 'agreedNextStep', 'notes'] as const;

const isEmpty = (value: unknown): boolean => value === undefined || value === null || (typeof value === 'string' && value.trim() === '');

/** Copies each key the existing record lacks; existing values always win. Returns null when nothing changed. */
function fillEmpty<T extends object>(existing: T, incoming: T): T | null {
  const result: Record<string, unknown> = { ...(existing as Record<string, unknown>) };
  let changed = false;
  for (const [key, value] of Object.entries(incoming)) {
    if (isEmpty(value) || !isEmpty(result[key])) continue;
    result[key] = value;
    changed = true;
  }
  return changed ? (result as T) : null;
}

/** Existing items first, then new ones not already present (by value), capped at the contract's limit. */
function union<T>(existing: readonly T[], incoming: readonly T[]): T[] | null {
  const seen = new Set(existing.map((item) => JSON.stringify(item)));
  const added = incoming.filter((item) => {
    const key = JSON.stringify(item);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  if (added.length === 0 || existing.length >= LIST_LIMIT) return null;
  return [...existing, ...added].slice(0, LIST_LIMIT);
}

function mergeContext(existing: LeadContext, incoming: LeadContext): { context: LeadContext; changed: Partial<LeadContext> } {
  const context: LeadContext = { ...existing };
  const changed: Partial<LeadContext> = {};
  for (const key of CONTEXT_LISTS) {
    const merged = union<unknown>(existing[key], incoming[key]);
    if (!merged) continue;
    Object.assign(context, { [key]: merged });
    Object.assign(changed, { [key]: merged });
  }
  for (const key of CONTEXT_SCALARS) {
    if (!isEmpty(existing[key]) || isEmpty(incoming[key])) continue;
    context[key] = incoming[key];
    changed[key] = incoming[key];
  }
  return { context, changed };
}

/**
 * Folds a duplicate capture into the lead it duplicates: lists are unioned, empty scalars filled, existing
 * values kept (the first capture is usually the richer, human-checked one). Entry path and source stay the
 * original's; the duplicate's door is reported as mergedFrom by the caller.
 */
export function mergeLead(existing: LeadContent, incoming: LeadContent): MergeResult {
  const changes: LeadChanges = {};
  const contact = fillEmpty(existing.contact, incoming.contact);
  const company = fillEmpty(existing.company, incoming.company);
  const attributes = fillEmpty(existing.attributes, incoming.attributes);
  const externalIds = fillEmpty(existing.externalIds, incoming.externalIds);
  const { context, changed } = mergeContext(existing.context, incoming.context);
  if (contact) changes.contact = contact;
  if (company) changes.company = company;
  if (attributes) changes.attributes = attributes;
  if (Object.keys(changed).length > 0) changes.context = changed;
  const timeZone = existing.timeZone ?? incoming.timeZone;
  if (timeZone !== existing.timeZone) changes.timeZone = timeZone;
  const merged: LeadContent = {
    ...existing,
    contact: contact ?? existing.contact,
    company: company ?? existing.company,
    attributes: attributes ?? existing.attributes,
    // Not part of lead.updated's changes in v1: stored, so lookups by another system's id keep working.
    externalIds: externalIds ?? existing.externalIds,
    context,
    timeZone,
  };
  return { merged, changes };
}
