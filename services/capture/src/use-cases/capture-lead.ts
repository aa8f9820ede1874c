import { randomUUID } from 'node:crypto';
import type { LifecycleEvent } from '@baton/contracts';
import { enqueue, EventTooLargeError, MAX_EVENT_BYTES } from '@baton/kafka';
import { withIdempotencyClaim, type IdempotencyClaim, type StoredResponse, type Tenant } from '@baton/kit';
import { sql, type Kysely, type Transaction } from 'kysely';
import { insertActivity } from '../db/activity.repository.js';
import { insertLeadUnlessDuplicate, updateLeadContent, type NewLeadWrite } from '../db/lead.repository.js';
import type { NewLeadBatcher } from '../db/new-lead-batcher.js';
import type { Database } from '../db/schema.js';
import { assessCompleteness } from '../domain/completeness.js';
import type { Contact, Lead, LeadContent } from '../domain/lead.js';
import { leadCaptured, leadMerged, type EventMeta } from '../domain/lead-events.js';
import { mergeLead } from '../domain/merge.js';

/** Duplicate window when the tenant sets none. */
export const DEFAULT_DUPLICATE_WINDOW_DAYS = 30;
const DAY_MS = 86_400_000;

/** Who captures, when, and the topic its events go to. */
export type CaptureContext = { tenant: Tenant; correlationId: string; now: Date; topic: string };

/** A new lead, or the existing lead a duplicate capture joined. */
export type CaptureResult = { outcome: 'created' | 'merged'; lead: Lead };

type Trx = Transaction<Database>;

// Tenant-scoped: the same person may be a lead of two tenants.
function contactKeys(tenantId: string, contact: Contact): string[] {
  const keys: string[] = [];
  if (contact.email) keys.push(`${tenantId}:email:${contact.email}`);
  if (contact.phone) keys.push(`${tenantId}:phone:${contact.phone}`);
  return keys;
}

/**
 * Takes the contact locks of several leads at once, in the one global order every capture path uses
 * (capture_new_lead, capture_new_leads), so a transaction capturing many leads cannot deadlock with a batch
 * statement that holds some of the same contacts. The later per-lead locks are then re-entrant no-ops.
 */
export async function lockContacts(trx: Trx, tenantId: string, contents: readonly LeadContent[]): Promise<void> {
  const keys = contents.flatMap((content) => contactKeys(tenantId, content.contact));
  if (keys.length === 0) return;
  await sql`
    SELECT pg_advisory_xact_lock(k)
    FROM (SELECT DISTINCT hashtextextended(key, 0) AS k FROM unnest(${keys}::text[]) AS key ORDER BY k) AS ordered`.execute(trx);
}

const metaOf = (ctx: CaptureContext): EventMeta => ({ tenantId: ctx.tenant.id, correlationId: ctx.correlationId, time: ctx.now });

/** The event as the outbox will store it; refused before anything is written if the broker could never take it. */
function serialised(event: LifecycleEvent): string {
  const json = JSON.stringify(event);
  const bytes = Buffer.byteLength(json);
  if (bytes > MAX_EVENT_BYTES) throw new EventTooLargeError(event.type, bytes);
  return json;
}

/** The new lead a capture would store, and the write that stores it unless it is a duplicate. */
function prepareNewLead(content: LeadContent, ctx: CaptureContext): { lead: Lead; write: NewLeadWrite } {
  const { tenant, now } = ctx;
  const lead: Lead = {
    ...content,
    id: randomUUID(),
    tenantId: tenant.id,
    status: 'new',
    completeness: assessCompleteness(content, tenant.settings),
    createdAt: now,
    updatedAt: now,
  };
  const windowDays = tenant.settings.duplicateWindowDays ?? DEFAULT_DUPLICATE_WINDOW_DAYS;
  const write: NewLeadWrite = {
    lockKeys: contactKeys(tenant.id, content.contact),
    since: new Date(now.getTime() - windowDays * DAY_MS),
    eventJson: serialised(leadCaptured(lead, metaOf(ctx))),
    topic: ctx.topic,
  };
  return { lead, write };
}

/**
 * Stores a normalised lead, or merges it into the tenant's open lead with the same email or phone created
 * within the duplicate window; its event goes to the outbox in the same transaction. Throws
 * EventTooLargeError before writing anything when the lead's event would be too large to publish.
 */
export async function captureLead(trx: Trx, content: LeadContent, ctx: CaptureContext): Promise<CaptureResult> {
  const { lead, write } = prepareNewLead(content, ctx);
  const existing = await insertLeadUnlessDuplicate(trx, write);
  return existing ? mergeInto(trx, existing, content, ctx) : { outcome: 'created', lead };
}

/** The response a capture's result gets; stored under the request's Idempotency-Key when it sent one. */
export type CaptureAnswer = (result: CaptureResult) => StoredResponse;

/**
 * captureLead for a request with nothing else to commit, answered: a new lead shares a statement and a
 * commit with concurrent captures (the batcher), its Idempotency-Key claimed and its response stored in that
 * statement. A duplicate to merge, or a key already taken (to wait for, then replay), goes through
 * withIdempotencyClaim in a transaction of its own, because the batch statement's locks ended at its commit.
 */
export async function captureLeadAlone(
  store: { db: Kysely<Database>; newLeads: NewLeadBatcher },
  content: LeadContent,
  ctx: CaptureContext,
  request: { claim: IdempotencyClaim | undefined; answer: CaptureAnswer },
): Promise<StoredResponse & { replayed: boolean }> {
  const { claim, answer } = request;
  const { lead, write } = prepareNewLead(content, ctx);
  // Its body is plain JSON (ids, numbers, strings), so it answers exactly what a replay will.
  const created = answer({ outcome: 'created', lead });
  const keyed = claim && { ...write, idempotency: { claim, response: created } };
  if ((await store.newLeads.write(keyed ?? write)) === 'created') return { ...created, replayed: false };
  return withIdempotencyClaim(store.db, claim, async (trx) => answer(await captureLead(trx, content, ctx)));
}

async function mergeInto(trx: Trx, existing: Lead, incoming: LeadContent, ctx: CaptureContext): Promise<CaptureResult> {
  const { merged, changes } = mergeLead(existing, incoming);
  const completeness = assessCompleteness(merged, ctx.tenant.settings);
  const lead: Lead = { ...existing, ...merged, completeness, updatedAt: ctx.now };
  const from = { entryPath: incoming.entryPath, source: incoming.source };
  const event = leadMerged(lead.id, { changes, from, completeness }, metaOf(ctx));
  // Checked before the update: a merge that would grow past the outbox limit changes nothing.
  serialised(event);
  await updateLeadContent(trx, lead);
  // The merge is part of the lead's history: which door the repeat came through, and what it added.
  await insertActivity(trx, {
    id: randomUUID(),
    tenantId: ctx.tenant.id,
    leadId: lead.id,
    type: 'merged',
    payload: { mergedFrom: from, changed: Object.keys(changes) },
    occurredAt: ctx.now,
  });
  await enqueue(trx, [event], ctx.topic);
  return { outcome: 'merged', lead };
}
