import type { LifecycleEvent } from '@baton/contracts';
import { sql, type Kysely } from 'kysely';
import { walkLog, type WalkPosition } from '../db/audit-log.repository.js';
import { applyEvents, lockProjections } from './apply-events.js';

// Rebuild: empty the projections and fold the whole audit log again, lead by lead, through applyEvents (the
// same code as the live projector). Each batch is its own transaction under the projection lock, so the live
// projector may interleave: what it logs and folds meanwhile is either folded again later in the walk (a
// no-op, the fold being idempotent) or lands behind the walk's position and is folded by the projector only.
// While a rebuild runs, queries see partial numbers; it is an operator's repair tool, not a routine.

/** What a rebuild did. */
export type RebuildResult = { events: number; journeys: number; ms: number };

/** Empties journeys and rollups and refolds every event of the audit log, in batches of `batchSize`. */
export async function rebuildProjections(
  db: Kysely<any>,
  opts: { batchSize?: number; onProgress?: (events: number) => void } = {},
): Promise<RebuildResult> {
  const started = performance.now();
  await db.transaction().execute(async (trx) => {
    await lockProjections(trx, true);
    await sql`TRUNCATE journeys, rollups`.execute(trx);
  });
  let position: WalkPosition | null = null;
  let events = 0;
  for (;;) {
    const page = await db.transaction().execute(async (trx) => {
      await lockProjections(trx, true);
      const rows = await walkLog(trx, position, opts.batchSize ?? 5_000);
      await applyEvents(trx, rows.map((r) => r.envelope as LifecycleEvent));
      return { rows };
    });
    const last = page.rows.at(-1);
    if (last === undefined) break;
    position = { tenantId: last.tenant_id, leadId: last.lead_id, at: last.event_time, eventId: last.event_id };
    events += page.rows.length;
    opts.onProgress?.(events);
  }
  const { rows } = await sql<{ n: string }>`SELECT count(*) AS n FROM journeys`.execute(db);
  return { events, journeys: Number(rows[0]?.n ?? 0), ms: Math.round(performance.now() - started) };
}
