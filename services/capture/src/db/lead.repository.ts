import { sql, type Kysely, type Selectable } from 'kysely';
import type { Contact, Lead, LeadContent, LeadContext, LeadStatus } from '../domain/lead.js';
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

function contentColumns(lead: LeadContent) {
  return {
    name: lead.contact.name ?? null,
    email: lead.contact.email ?? null,
    phone: lead.contact.phone ?? null,
    preferred_channel: lead.contact.preferredChannel ?? null,
    time_zone: lead.timeZone,
    company: JSON.stringify(lead.company),
    external_ids: JSON.stringify(lead.externalIds),
    context: JSON.stringify(lead.context),
    attributes: JSON.stringify(lead.attributes),
  };
}

/** Inserts a new lead. */
export async function insertLead(db: Db, lead: Lead): Promise<void> {
  await db
    .insertInto('leads')
    .values({
      id: lead.id,
      tenant_id: lead.tenantId,
      entry_path: lead.entryPath,
      status: lead.status,
      ...contentColumns(lead),
      source: JSON.stringify(lead.source),
      completeness_score: lead.completeness.score,
      missing: lead.completeness.missing,
      created_at: lead.createdAt,
      updated_at: lead.updatedAt,
    })
    .execute();
}

/** Stores merged content and its new completeness (entry path, source and status stay). */
export async function updateLeadContent(db: Db, lead: Lead): Promise<void> {
  await db
    .updateTable('leads')
    .set({ ...contentColumns(lead), completeness_score: lead.completeness.score, missing: lead.completeness.missing, updated_at: lead.updatedAt })
    .where('id', '=', lead.id)
    .execute();
}

/** Moves a lead to a new status. */
export async function updateLeadStatus(db: Db, id: string, status: LeadStatus, at: Date): Promise<void> {
  await db.updateTable('leads').set({ status, updated_at: at }).where('id', '=', id).execute();
}

/**
 * Serialises captures of the same contact across transactions and replicas until commit: without it two
 * concurrent captures of one email would both find no duplicate and create two leads. Keys are locked in
 * one global order (the hash), so two captures sharing an email and a phone cannot deadlock.
 */
export async function lockContacts(db: Db, keys: readonly string[]): Promise<void> {
  if (keys.length === 0) return;
  await sql`
    SELECT pg_advisory_xact_lock(k)
    FROM (SELECT DISTINCT hashtextextended(key, 0) AS k FROM unnest(${keys}::text[]) AS key ORDER BY k) AS ordered`.execute(db);
}

/** The newest open lead of the tenant with this email or phone created since `since`, locked for update. */
export async function findDuplicate(
  db: Db,
  q: { tenantId: string; email: string | undefined; phone: string | undefined; since: Date },
): Promise<Lead | undefined> {
  if (q.email === undefined && q.phone === undefined) return undefined;
  const row = await db
    .selectFrom('leads')
    .selectAll()
    .where('tenant_id', '=', q.tenantId)
    .where((eb) => eb.or([...(q.email ? [eb('email', '=', q.email)] : []), ...(q.phone ? [eb('phone', '=', q.phone)] : [])]))
    .where('created_at', '>=', q.since)
    // A closed lead's loop is finished: someone coming back is new work, not context for a closed file.
    .where('status', '!=', 'closed')
    .orderBy('created_at', 'desc')
    .limit(1)
    // FOR UPDATE reads the latest committed version and holds it, so two merges cannot overwrite each other.
    .forUpdate()
    .executeTakeFirst();
  return row && toLead(row);
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
