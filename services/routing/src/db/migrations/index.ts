import { messagingMigrations } from '@baton/kafka';
import { idempotencyMigrations } from '@baton/kit';
import type { Migration } from 'kysely';
import { routingMigration0001 } from './0001-routing.migration.js';
import { routingMigration0002 } from './0002-unrouted-leads.migration.js';

/** Every migration of the routing schema, keyed '0001_name' in run order; frozen once shipped. */
export const migrations: Record<string, Migration> = {
  // The outbox and inbox every service keeps next to its own state.
  ...messagingMigrations,
  // Stored responses for Idempotency-Key replays, committed with the state they describe.
  ...idempotencyMigrations,
  '0001_routing': routingMigration0001,
  '0002_unrouted_leads': routingMigration0002,
};
