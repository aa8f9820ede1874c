import type { HttpApp } from '@baton/kit';
import { Duration } from 'luxon';
import { z } from 'zod';
import { findLeaks, type LeakRow } from '../db/journeys.repository.js';
import { STAGES } from '../domain/stages.js';
import { cursorParamSchema, decodeCursor, encodeCursor, limitSchema, problems, tenantOf, type RouteDeps } from './support.js';

// Leakage: open leads (not closed, not disqualified) whose furthest stage is `stage` and who reached it more
// than `olderThan` ago; the oldest first, because the longest-stuck demand is the most likely to be lost.

const isoDuration = z
  .string()
  .max(40)
  .refine((value) => Duration.fromISO(value).isValid, { message: 'must be an ISO 8601 duration such as PT4H or P2D' })
  .meta({ description: 'Minimum time stuck at the stage, ISO 8601 (PT30M, PT4H, P2D)', examples: ['PT4H', 'P2D'] });

const leakageQuerySchema = z.strictObject({
  stage: z.enum(STAGES).meta({ description: 'The stage the leads reached and never moved on from' }),
  olderThan: isoDuration,
  limit: limitSchema(500, 100),
  cursor: cursorParamSchema,
});

const leakSchema = z.object({
  leadId: z.uuid(),
  stageReachedAt: z.iso.datetime(),
  ageSeconds: z.int(),
  ownerId: z.string().nullable(),
  queueId: z.string().nullable(),
  entryPath: z.string().nullable(),
  campaign: z.string().nullable(),
});

const leakageResponseSchema = z.object({
  stage: z.enum(STAGES),
  asOf: z.iso.datetime(),
  leads: z.array(leakSchema),
  nextCursor: z.string().nullable().meta({ description: 'Pass as cursor for the next page; null on the last page' }),
});

const leakView = (row: LeakRow, now: Date) => ({
  leadId: row.lead_id,
  stageReachedAt: row.last_stage_at.toISOString(),
  ageSeconds: Math.floor((now.getTime() - row.last_stage_at.getTime()) / 1000),
  ownerId: row.owner_id,
  queueId: row.queue_id,
  entryPath: row.entry_path,
  campaign: row.campaign,
});

/** GET /v1/leakage. */
export function registerLeakageRoutes(app: HttpApp, deps: RouteDeps): void {
  app.get('/v1/leakage', {
    config: { scope: 'funnel:read' },
    schema: {
      tags: ['funnel'],
      summary: 'Open leads stuck at a stage for longer than olderThan, oldest first, with their owner',
      querystring: leakageQuerySchema,
      response: { 200: leakageResponseSchema, ...problems(400, 401, 403, 429) },
    },
  }, async (request) => {
    const { stage, olderThan, limit, cursor } = request.query;
    const now = deps.clock();
    const before = new Date(now.getTime() - Duration.fromISO(olderThan).toMillis());
    const position = cursor === undefined ? null : decodeCursor(cursor);
    const rows = await findLeaks(deps.db, {
      tenantId: tenantOf(request),
      stage,
      before,
      after: position === null ? null : { at: position.at, leadId: position.id },
      limit: limit + 1,
    });
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    const nextCursor = rows.length > limit && last !== undefined ? encodeCursor(last.last_stage_at, last.lead_id) : null;
    return { stage, asOf: now.toISOString(), leads: page.map((row) => leakView(row, now)), nextCursor };
  });
}
