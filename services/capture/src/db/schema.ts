import type { ColumnType, Generated } from 'kysely';

// jsonb columns: kysely passes values through; writers JSON.stringify, readers get parsed objects from pg.
type Json<T> = ColumnType<T, string, string>;

/** The leads table. */
export interface LeadsTable {
  id: string;
  tenant_id: string;
  entry_path: string;
  status: string;
  name: string | null;
  email: string | null;
  phone: string | null;
  preferred_channel: string | null;
  time_zone: string | null;
  company: Json<Record<string, unknown>>;
  source: Json<Record<string, unknown>>;
  external_ids: Json<Record<string, string>>;
  context: Json<Record<string, unknown>>;
  attributes: Json<Record<string, unknown>>;
  completeness_score: number;
  missing: string[];
  created_at: Date;
  updated_at: Date;
}

/** The activities table: every activity posted for a lead, and the merges of duplicate captures. */
export interface ActivitiesTable {
  id: string;
  tenant_id: string;
  lead_id: string;
  type: string;
  payload: Json<Record<string, unknown>>;
  occurred_at: Date;
  created_at: Generated<Date>;
}

/** capture's tables as kysely sees them; the change that adds a migration adds its table here. */
export interface Database {
  leads: LeadsTable;
  activities: ActivitiesTable;
}
