import { OUTBOX_WRITE_HINT } from '@baton/kafka';
import { sql, type Kysely, type Selectable } from 'kysely';
import type { Contact, Lead, LeadContext, LeadStatus } from '../domain/lead.js';
import type { Database, LeadsTable } from './schema.js';

type Db = Kysely<Database>;

function contactOf(row: Selectable<LeadsTable>): Contact {
  const contact: Contact = {};
  if (row.name !== null) contact.name = row.name;
  if (row.email !== null) contact.email = row.email;
  if (row.phone !== null) contact.phone = row.phone;
  if (row.preferred_channel !== null) contact.preferredChannel = row.preferred_channel as Contact['preferredChannel'];
  return contact;
}

function toLead(row: Selectable<LeadsTable>): Lead {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    entryPath: row.entry_path as Lead['entryPath'],
    status: row.status as LeadStatus,
    contact: contactOf(row),
    timeZone: row.time_zone,
    company: row.company,
    source: row.source as Lead['source'],
    externalIds: row.external_ids,
    context: row.context as LeadContext,
    attributes: row.attributes as Lead['attributes'],
    completeness: { score: row.completeness_score, missing: row.missing },
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** Stores merged content and its new completeness (entry path, source and status stay). */
export async function updateLeadContent(db: Db, lead: Lead): Promise<void> {
  await db
    .updateTable('leads')
    .set({
      name: lead.contact.name ?? null,
      email: lead.contact.email ?? null,
      phone: lead.contact.phone ?? null,
      preferred_channel: lead.contact.preferredChannel ?? null,
      time_zone: lead.timeZone,
      company: JSON.stringify(lead.company),
      external_ids: JSON.stringify(lead.externalIds),
      context: JSON.stringify(lead.context),
      attributes: JSON.stringify(lead.attributes),
      completeness_score: lead.completeness.score,
      missing: lead.completeness.missing,
      updated_at: lead.updatedAt,
    })
    .where('id', '=', lead.id)
    .execute();
}

/** Moves a lead to a new status. */
export async function updateLeadStatus(db: Db, id: string, status: LeadStatus, at: Date): Promise<void> {
  await db.updateTable('leads').set({ status, updated_at: at }).where('id', '=', id).execute();
}

/** What insertLeadUnlessDuplicate needs: the contact locks, the duplicate window and the new lead's event. */
export type NewLeadWrite = {
  lockKeys: readonly string[];
  since: Date;
  /** The lead.captured event, serialised (its size checked against the outbox limit); the row is read from it. */
  eventJson: string;
  topic: string;
};

/**
 * In one round trip (see migration 0002): locks the contact keys until commit, then returns the tenant's
 * open lead with the event's email or phone created since `since`, locked for update; or, when there is
 * none, stores the lead the event describes and the event itself (outbox), and returns undefined.
 */
export async function insertLeadUnlessDuplicate(db: Db, write: NewLeadWrite): Promise<Lead | undefined> {
  // The hint: the lead's event is in the outbox once this commits; the relay is woken then (@baton/kafka).
  const { rows } = await sql<Selectable<LeadsTable>>`${sql.raw(OUTBOX_WRITE_HINT)}
    SELECT * FROM capture_new_lead(${write.lockKeys}::text[], ${write.since}, ${write.eventJson}::jsonb, ${write.topic})`.execute(db);
  const existing = rows[0];
  return existing && toLead(existing);
}

/** The tenant's lead, or undefined (another tenant's lead is as absent as a missing one). */
export async function findLead(db: Db, tenantId: string, id: string, opts: { forUpdate?: boolean } = {}): Promise<Lead | undefined> {
  let query = db.selectFrom('leads').selectAll().where('id', '=', id).where('tenant_id', '=', tenantId);
  if (opts.forUpdate) query = query.forUpdate();
  const row = await query.executeTakeFirst();
  return row && toLead(row);
}

/** A position in the (updated_at, id) order. */
export type LeadPosition = { updatedAt: Date; id: string };

/** One page of the tenant's leads in (updated_at, id) order, after `after` or from `updatedSince`. */
export async function listLeads(
  db: Db,
  q: { tenantId: string; after?: LeadPosition | undefined; updatedSince?: Date | undefined; limit: number },
): Promise<Lead[]> {
  let query = db.selectFrom('leads').selectAll().where('tenant_id', '=', q.tenantId);
  if (q.after) {
    const { updatedAt, id } = q.after;
    query = query.where((eb) => eb(eb.refTuple('updated_at', 'id'), '>', eb.tuple(updatedAt, id)));
  } else if (q.updatedSince) {
    query = query.where('updated_at', '>=', q.updatedSince);
  }
  const rows = await query.orderBy('updated_at').orderBy('id').limit(q.limit).execute();
  return rows.map(toLead);
}
