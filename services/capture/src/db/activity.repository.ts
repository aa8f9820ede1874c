import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

/** An activity row to store. */
export type NewActivity = {
  id: string;
  tenantId: string;
  leadId: string;
  type: string;
  payload: Record<string, unknown>;
  occurredAt: Date;
};

/** Stores one activity (posted by a client, or a merge recorded by capture). */
export async function insertActivity(db: Kysely<Database>, activity: NewActivity): Promise<void> {
  await db
    .insertInto('activities')
    .values({
      id: activity.id,
      tenant_id: activity.tenantId,
      lead_id: activity.leadId,
      type: activity.type,
      payload: JSON.stringify(activity.payload),
      occurred_at: activity.occurredAt,
    })
    .execute();
}
