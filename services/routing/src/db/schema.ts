import type { ColumnType, Generated, JSONColumnType } from 'kysely';
import type { Absence, EscalationLadders, LeadFacts, RuleMatch, WeeklyHours } from '../domain/types.js';

// routing's tables as kysely sees them. jsonb columns are written as JSON text and read back parsed (pg does
// the parsing), which JSONColumnType expresses.

type Timestamp = ColumnType<Date, Date | string, Date | string>;
type Defaulted<T> = ColumnType<T, T | undefined, T>;

/** People leads are routed to, with the counters their caps are checked against. */
export interface MembersTable {
  id: string;
  tenant_id: string;
  name: string;
  role: string;
  time_zone: string;
  working_hours: JSONColumnType<WeeklyHours | null, string | null, string | null>;
  out_of_office: JSONColumnType<Absence[], string | undefined, string>;
  weight: Defaulted<number>;
  max_open: number | null;
  max_per_day: number | null;
  active: Defaulted<boolean>;
  open_count: Defaulted<number>;
  day_count: Defaulted<number>;
  // pg returns date columns as Date at local midnight unless told otherwise; we select it as text.
  day_of: ColumnType<string | null, string | null | undefined, string | null>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

/** Rotations with their SLAs, ladders (jsonb) and fallback. */
export interface QueuesTable {
  id: string;
  tenant_id: string;
  name: string;
  is_default: Defaulted<boolean>;
  claim_sla_seconds: Defaulted<number>;
  first_touch_sla_seconds: number | null;
  business_hours_only: Defaulted<boolean>;
  ignore_working_hours: Defaulted<boolean>;
  fallback_member_id: string;
  escalation: JSONColumnType<EscalationLadders, string | undefined, string>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

/** Who is in a queue, in order, with each member's rotation score there. */
export interface QueueMembersTable {
  queue_id: string;
  member_id: string;
  position: number;
  score: ColumnType<string, number | string | undefined, number | string>;
}

/** Ordered routing rules of a tenant. */
export interface RulesTable {
  id: string;
  tenant_id: string;
  name: string;
  position: number;
  match: JSONColumnType<RuleMatch, string, string>;
  queue_id: string;
  active: Defaulted<boolean>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

/** One row per lead: owner, state, deadlines and the pending SLA timer. */
export interface AssignmentsTable {
  lead_id: string;
  tenant_id: string;
  queue_id: string | null;
  member_id: string | null;
  state: string;
  correlation_id: string;
  assigned_at: Timestamp | null;
  owner_since: Timestamp | null;
  claim_deadline: Timestamp | null;
  claimed_at: Timestamp | null;
  first_touch_deadline: Timestamp | null;
  contacted_at: Timestamp | null;
  closed_at: Timestamp | null;
  overdue_since: Timestamp | null;
  sla_kind: string | null;
  sla_step: Defaulted<number>;
  sla_level: Defaulted<number>;
  sla_due_at: Timestamp | null;
  sla_version: Defaulted<number>;
  updated_at: Generated<Date>;
}

/** Every routing event of every lead, as emitted. */
export interface RoutingHistoryTable {
  id: Generated<string>;
  lead_id: string;
  tenant_id: string;
  event_id: string;
  type: string;
  data: JSONColumnType<Record<string, unknown>, string, string>;
  at: Timestamp;
}

/** The rule facts of a lead no queue could take yet, kept to route it once one can. */
export interface UnroutedLeadsTable {
  lead_id: string;
  tenant_id: string;
  captured_event_id: string;
  facts: JSONColumnType<LeadFacts, string, string>;
  created_at: Generated<Date>;
}

/** routing's tables as kysely sees them. */
export interface Database {
  members: MembersTable;
  queues: QueuesTable;
  queue_members: QueueMembersTable;
  rules: RulesTable;
  assignments: AssignmentsTable;
  routing_history: RoutingHistoryTable;
  unrouted_leads: UnroutedLeadsTable;
}
