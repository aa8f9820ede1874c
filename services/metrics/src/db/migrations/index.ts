import { messagingMigrations } from '@baton/kafka';
import type { Migration } from 'kysely';
import { metricsMigration0001 } from './0001-metrics.migration.js';

/** Every migration of the metrics schema, keyed '0001_name' in run order; frozen once shipped. */
export const migrations: Record<string, Migration> = {
  // The outbox and inbox every service keeps next to its own state.
  ...messagingMigrations,
  '0001_audit_log_journeys_rollups': metricsMigration0001,
};
