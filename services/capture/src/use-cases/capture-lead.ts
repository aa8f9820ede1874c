import { randomUUID } from 'node:crypto';
import { enqueue } from '@baton/kafka';
import type { Tenant } from '@baton/kit';
import type { Transaction } from 'kysely';
import { insertActivity } from '../db/activity.repository.js';
import { findDuplicate, insertLead, lockContacts, updateLeadContent } from '../db/lead.repository.js';
import type { Database } from '../db/schema.js';
import { assessCompleteness } from '../domain/completeness.js';
import type { Contact, Lead, LeadContent } from '../domain/lead.js';
import { leadCaptured, leadMerged, type EventMeta } from '../domain/lead-events.js';
import { mergeLead } from '../domain/merge.js';

/** Duplicate window when the tenant sets none. */
export const DEFAULT_DUPLICATE_WINDOW_DAYS = 30;
const DAY_MS = 86_400_000;

/** Who captures, and when. */
export type CaptureContext = { tenant: Tenant; correlationId: string; now: Date };

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

const metaOf = (ctx: CaptureContext): EventMeta => ({ tenantId: ctx.tenant.id, correlationId: ctx.correlationId, time: ctx.now });

/**
 * Stores a normalised lead, or merges it into the tenant's open lead with the same email or phone created
 * within the duplicate window; its event goes to the outbox in the same transaction.
 */
export async function captureLead(trx: Trx, content: LeadContent, ctx: CaptureContext): Promise<CaptureResult> {
  const { tenant, now } = ctx;
  await lockContacts(trx, contactKeys(tenant.id, content.contact));
  const windowDays = tenant.settings.duplicateWindowDays ?? DEFAULT_DUPLICATE_WINDOW_DAYS;
  const since = new Date(now.getTime() - windowDays * DAY_MS);
  const existing = await findDuplicate(trx, { tenantId: tenant.id, email: content.contact.email, phone: content.contact.phone, since });
  if (existing) return mergeInto(trx, existing, content, ctx);
  const lead: Lead = {
    ...content,
    id: randomUUID(),
    tenantId: tenant.id,
    status: 'new',
    completeness: assessCompleteness(content, tenant.settings),
    createdAt: now,
    updatedAt: now,
  };
  await insertLead(trx, lead);
  await enqueue(trx, [leadCaptured(lead, metaOf(ctx))]);
  return { outcome: 'created', lead };
}

async function mergeInto(trx: Trx, existing: Lead, incoming: LeadContent, ctx: CaptureContext): Promise<CaptureResult> {
  const { merged, changes } = mergeLead(existing, incoming);
  const completeness = assessCompleteness(merged, ctx.tenant.settings);
  const lead: Lead = { ...existing, ...merged, completeness, updatedAt: ctx.now };
  const from = { entryPath: incoming.entryPath, source: incoming.source };
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
  await enqueue(trx, [leadMerged(lead.id, { changes, from, completeness }, metaOf(ctx))]);
  return { outcome: 'merged', lead };
}
