// The routing model as the domain sees it: plain data, no I/O. Repositories map rows to these shapes.

/** Roles a team member can hold; escalation ladders may target a role instead of a person. */
export const MEMBER_ROLES = ['setter', 'rep', 'account_executive', 'manager', 'ops_lead'] as const;
/** One of MEMBER_ROLES. */
export type MemberRole = (typeof MEMBER_ROLES)[number];

/** ISO weekdays as short keys, Monday first (luxon's weekday 1..7 indexes this array minus one). */
export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
/** One of WEEKDAYS. */
export type Weekday = (typeof WEEKDAYS)[number];

/** A span of local wall-clock time, 'HH:mm' to 'HH:mm' (end may be '24:00'), in the member's zone. */
export type TimeSpan = { start: string; end: string };
/** Working time per weekday in the member's own zone; a missing day is a day off. */
export type WeeklyHours = Partial<Record<Weekday, TimeSpan[]>>;
/** An absence, [from, to) as UTC instants. */
export type Absence = { from: string; to: string };

/** A person leads can be routed to. `workingHours: null` means always available (e.g. a 24/7 desk). */
export type Member = {
  id: string;
  tenantId: string;
  name: string;
  role: MemberRole;
  timeZone: string;
  workingHours: WeeklyHours | null;
  outOfOffice: Absence[];
  /** Share of the rotation; 0 keeps the member in the queue (for escalations) but out of the rotation. */
  weight: number;
  maxOpen: number | null;
  maxPerDay: number | null;
  active: boolean;
  /** Leads assigned and not yet claimed (or closed), across queues: what `maxOpen` caps. */
  openCount: number;
  /** Leads assigned on `dayOf` (the member's local date): what `maxPerDay` caps. */
  dayCount: number;
  dayOf: string | null;
};

/** Which SLA clock a timer or an escalation is about (named as in the event contract). */
export type SlaKind = 'claim' | 'first_touch';

/** Who an escalation level goes to: a named member, or whoever of a role is best placed. */
export type EscalationTarget = { memberId?: string | undefined; role?: MemberRole | undefined };
/** One rung of an escalation ladder; it fires `afterSeconds` after the previous rung (the breach for rung 1). */
export type EscalationLevel = { target: EscalationTarget; action: 'notify' | 'reassign'; afterSeconds: number };
/** A ladder per SLA: the claim SLA and the first-touch SLA escalate separately. */
export type EscalationLadders = { claim: EscalationLevel[]; firstTouch: EscalationLevel[] };

/** A queue of members with its SLAs and ladders. */
export type Queue = {
  id: string;
  tenantId: string;
  name: string;
  isDefault: boolean;
  claimSlaSeconds: number;
  /** null: no first-touch SLA after a claim. */
  firstTouchSlaSeconds: number | null;
  /** SLA clocks count only the owner's working time. */
  businessHoursOnly: boolean;
  /** Assign regardless of members' working hours (e.g. a queue that must answer at night). */
  ignoreWorkingHours: boolean;
  fallbackMemberId: string;
  escalation: EscalationLadders;
  memberIds: string[];
};

/** Conditions of a rule; every condition given must hold, and a list matches any of its values. */
export type RuleMatch = {
  entryPath?: string[] | undefined;
  campaign?: string[] | undefined;
  country?: string[] | undefined;
  timeZone?: string[] | undefined;
  /** Bounds on the lower end of the captured head-count band ('11-50' counts as 11). */
  companySize?: { min?: number | undefined; max?: number | undefined } | undefined;
  attributes?: Record<string, Array<string | number | boolean>> | undefined;
};

/** An ordered routing rule. */
export type Rule = { id: string; name: string; position: number; queueId: string; match: RuleMatch; active: boolean };

/** The lead fields rules look at, taken from lead.captured. */
export type LeadFacts = {
  entryPath: string;
  campaign?: string | undefined;
  country?: string | undefined;
  timeZone?: string | null | undefined;
  companySize?: string | undefined;
  attributes: Record<string, string | number | boolean>;
};

/** A lead to route: who, whose, what caused it (the capture), and the facts rules match on. */
export type LeadToRoute = { leadId: string; tenantId: string; correlationId: string; causationId: string; facts: LeadFacts };

/** Why a member was not picked (the contract's skip reasons). */
export type SkipReason = 'off_hours' | 'out_of_office' | 'at_cap' | 'inactive' | 'not_in_rotation';

/** Lifecycle of an assignment: unrouted (tenant has no routing), assigned, claimed, contacted, closed. */
export type AssignmentState = 'unrouted' | 'assigned' | 'claimed' | 'contacted' | 'closed';
