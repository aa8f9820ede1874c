import type { EventData } from '@baton/contracts';

// The lead as Baton stores it and announces it: the shapes come from the lead.captured contract, so what
// capture stores, answers and publishes cannot drift apart.
type Captured = EventData<'lead.captured'>;

/** The door a lead came through (phone, web_form, estimate_request, chat, referral, other). */
export type EntryPath = Captured['entryPath'];
/** Normalised contact: email lower-cased, phone in E.164. */
export type Contact = Captured['contact'];
export type Company = Captured['company'];
export type LeadSource = Captured['source'];
/** The handoff context; list fields are always present (possibly empty). */
export type LeadContext = Captured['context'];
export type Attributes = Captured['attributes'];
export type Completeness = Captured['completeness'];

/** Where a lead is in its life; moved only by activities (see activity.ts). */
export type LeadStatus = 'new' | 'attempting' | 'contacted' | 'qualified' | 'disqualified' | 'closed';

/** Everything captured about a lead, normalised: what a capture or a merge produces. */
export type LeadContent = {
  entryPath: EntryPath;
  contact: Contact;
  timeZone: string | null;
  company: Company;
  source: LeadSource;
  externalIds: Record<string, string>;
  context: LeadContext;
  attributes: Attributes;
};

/** A stored lead. */
export type Lead = LeadContent & {
  id: string;
  tenantId: string;
  status: LeadStatus;
  completeness: Completeness;
  createdAt: Date;
  updatedAt: Date;
};

/** A lead as a client sends it, after schema validation but before normalisation. */
export type LeadInput = {
  entryPath: EntryPath;
  contact?: { name?: string; email?: string; phone?: string; preferredChannel?: Contact['preferredChannel'] } | undefined;
  timeZone?: string | null | undefined;
  company?: Company | undefined;
  source?: LeadSource | undefined;
  externalIds?: Record<string, string> | undefined;
  context?: Partial<LeadContext> | undefined;
  attributes?: Attributes | undefined;
};

/** One field a client must fix, named like the kit's validation errors (`body.contact.phone`). */
export type FieldError = { field: string; message: string };

/** The list fields of the context, which merges union instead of filling. */
export const CONTEXT_LISTS = ['painPoints', 'budgetSignals', 'stakeholders', 'objections'] as const;

/** An empty context: every list present, every scalar absent. */
export function emptyContext(): LeadContext {
  return { painPoints: [], budgetSignals: [], stakeholders: [], objections: [] };
}
