
import { COUNTERS } from '../domain/counters.js';

// Column lists of the rollup upsert, generated from the counter spec (our own constants, never input, so
// they are safe to splice as raw SQL).

/** `name, ...` for every counter, as rollup columns. */
export const COUNTER_COLUMNS = COUNTERS.map((spec) => spec.name).join(', ');

/** The upsert's SET list: add a delta to a rollup row; a counter the delta does not touch stays as it is. */
export const COUNTER_INCREMENTS = COUNTERS.map(
  ({ name }) => `${name} = CASE WHEN excluded.${name} IS NULL THEN rollups.${name} ELSE coalesce(rollups.${name}, 0) + excluded.${name} END`,
).join(', ');
