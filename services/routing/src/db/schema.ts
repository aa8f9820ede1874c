/** routing's tables as kysely sees them; the change that adds a migration adds its table here. */
export interface Database {}
