import type { LifecycleEvent } from '@baton/contracts';

// The audit log keeps every envelope for as long as the funnel may be recomputed, and is read by ops teams:
// it is no place for personal data, which the capture service owns. Names, emails, phone numbers and free
// text (where people write them anyway) are dropped before storage; every one of these fields is optional in
// the contracts, so a redacted event still decodes and still folds to the same journey.
// Postgres jsonb cannot hold NUL or unpaired surrogates; they are replaced so that such an event is recorded
// rather than dead-lettered.

// Only optional fields: `reason` stays (required enums in some types), and so does company.name (a business).
const PERSONAL_KEYS = new Set(['name', 'email', 'phone', 'notes', 'agenda', 'outcomeNotes', 'detail']);
const KEEP_UNDER = new Set(['company']);
const UNSTORABLE = /\u0000|\p{Cs}/gu;

function clean(value: unknown, parentKey: string | undefined): unknown {
  if (typeof value === 'string') return value.replace(UNSTORABLE, '\uFFFD');
  if (Array.isArray(value)) return value.map((item) => clean(item, parentKey));
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    const personal = PERSONAL_KEYS.has(key) && !KEEP_UNDER.has(parentKey ?? '') && typeof item === 'string';
    if (!personal) out[key] = clean(item, key);
  }
  return out;
}

/** The event as the audit log stores it: envelope intact, personal data and free text removed from `data`. */
export function redactForAudit(event: LifecycleEvent): LifecycleEvent {
  const { data, ...envelope } = event;
  return { ...(clean(envelope, undefined) as object), data: clean(data, undefined) } as LifecycleEvent;
}
