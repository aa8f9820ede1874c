// Column lists of the rollup upsert, generated from counter names (our own constants, never input, so they are
// safe to splice as raw SQL).

/** `name, ...` for these counters, as rollup columns. */
export const counterColumns = (names: readonly string[]): string => names.join(', ');

/** `name integer, ...`: the column definitions of a recordset that carries these counters. */
export const counterDefinitions = (names: readonly string[]): string => names.map((name) => `${name} integer`).join(', ');

/** The upsert's SET list for these counters: add a delta to a rollup row; a NULL delta leaves the counter as it is. */
export const counterIncrements = (names: readonly string[]): string =>
  names.map((name) => `${name} = CASE WHEN excluded.${name} IS NULL THEN rollups.${name} ELSE coalesce(rollups.${name}, 0) + excluded.${name} END`).join(', ');
