import { messagingMigrations } from '@baton/kafka';
import { idempotencyMigrations } from '@baton/kit';
import type { Migration } from 'kysely';
import { leadsMigration0001 } from './0001-leads.migration.js';
import { captureNewLeadMigration0002 } from './0002-capture-new-lead.migration.js';
import { captureNewLeadsMigration0003 } from './0003-capture-new-leads.migration.js';
import { captureNewLeadsSetBasedMigration0004 } from './0004-capture-new-leads-set-based.migration.js';
import { captureNewLeadsIdempotentMigration0005 } from './0005-capture-new-leads-idempotent.migration.js';

/** Every migration of the capture schema, keyed '0001_name' in run order; frozen once shipped. */
export const migrations: Record<string, Migration> = {
  // The outbox and inbox every service keeps next to its own state.
  ...messagingMigrations,
  // Stored responses for Idempotency-Key replays, committed with the leads they describe.
  ...idempotencyMigrations,
  '0001_leads_activities': leadsMigration0001,
  '0002_capture_new_lead': captureNewLeadMigration0002,
  '0003_capture_new_leads': captureNewLeadsMigration0003,
  '0004_capture_new_leads_set_based': captureNewLeadsSetBasedMigration0004,
  '0005_capture_new_leads_idempotent': captureNewLeadsIdempotentMigration0005,
};
