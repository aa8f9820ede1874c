// The funnel's stages in order. "Reached" means the lead has a recorded time for that stage; a later stage
// does not imply an earlier one (a lead held without a recorded confirmation was not confirmed), so missing
// events show up as gaps instead of being papered over.

/** Funnel stages, in funnel order. */
export const STAGES = ['captured', 'assigned', 'claimed', 'first_touch', 'contacted', 'qualified', 'booked', 'confirmed', 'held'] as const;

/** One funnel stage. */
export type Stage = (typeof STAGES)[number];

/** The journey column holding the first time each stage was reached. */
export const STAGE_COLUMN = {
  captured: 'captured_at',
  assigned: 'assigned_at',
  claimed: 'claimed_at',
  first_touch: 'first_touch_at',
  contacted: 'contacted_at',
  qualified: 'qualified_at',
  booked: 'booked_at',
  confirmed: 'confirmed_at',
  held: 'held_at',
} as const satisfies Record<Stage, string>;

/** Dimensions a funnel can be grouped by, and the journey column of each. */
export const GROUP_BY_COLUMN = {
  entry_path: 'entry_path',
  campaign: 'campaign',
  queue: 'queue_id',
  owner: 'owner_id',
  setter: 'setter_id',
  meeting_type: 'meeting_type',
} as const;

/** One grouping dimension. */
export type GroupBy = keyof typeof GROUP_BY_COLUMN;

/** Grouping dimensions, in documentation order. */
export const GROUP_BYS = Object.keys(GROUP_BY_COLUMN) as GroupBy[];

/** Capture completeness score (0-100) at or above which a capture counts as "enough detail to act on". */
export const COMPLETENESS_THRESHOLD = 80;
