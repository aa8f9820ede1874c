import type { HttpApp } from '@baton/kit';
import { z } from 'zod';
import { leadEvents, type LoggedEvent } from '../db/audit-log.repository.js';
import { actorOf } from '../domain/actor.js';
import { cursorParamSchema, decodeCursor, encodeCursor, leadNotFound, limitSchema, problems, tenantOf, type RouteDeps } from './support.js';

const timelineQuerySchema = z.strictObject({ limit: limitSchema(1000, 200), cursor: cursorParamSchema });

const timelineEventSchema = z.object({
  id: z.uuid(),
  type: z.string(),
  time: z.iso.datetime().meta({ description: 'When it happened (the event time); events are listed in this order' }),
  recordedAt: z.iso.datetime().meta({ description: 'When metrics recorded it' }),
  source: z.string().meta({ description: 'Producing service' }),
  correlationId: z.string(),
  causationId: z.string().nullable().meta({ description: 'Id of the event or request that caused this one' }),
  actor: z.object({ type: z.enum(['member', 'buyer', 'integration', 'system']), id: z.string().nullable() }),
});

const timelineResponseSchema = z.object({
  leadId: z.uuid(),
  events: z.array(timelineEventSchema),
  nextCursor: z.string().nullable().meta({ description: 'Pass as cursor for the next page; null on the last page' }),
});

const eventView = ({ envelope, event_time, recorded_at }: LoggedEvent) => ({
  id: envelope.id,
  type: envelope.type,
  time: event_time.toISOString(),
  recordedAt: recorded_at.toISOString(),
  source: envelope.source,
  correlationId: envelope.correlationid,
  causationId: envelope.causationid ?? null,
  actor: actorOf(envelope),
});

/** GET /v1/leads/{id}/timeline. */
export function registerTimelineRoutes(app: HttpApp, deps: RouteDeps): void {
  app.get('/v1/leads/:id/timeline', {
    config: { scope: 'funnel:read' },
    schema: {
      tags: ['leads'],
      summary: "A lead's audit trail: every event from capture to close, in event-time order, with who or what caused it",
      params: z.object({ id: z.uuid() }),
      querystring: timelineQuerySchema,
      response: { 200: timelineResponseSchema, ...problems(400, 401, 403, 404, 429) },
    },
  }, async (request) => {
    const { id } = request.params;
    const { limit, cursor } = request.query;
    const position = cursor === undefined ? null : decodeCursor(cursor);
    const rows = await leadEvents(deps.db, {
      tenantId: tenantOf(request),
      leadId: id,
      after: position === null ? null : { at: position.at, eventId: position.id },
      limit: limit + 1,
    });
    // Scoped by tenant: another tenant's lead is indistinguishable from no lead at all.
    if (rows.length === 0 && position === null) throw leadNotFound(id);
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    const nextCursor = rows.length > limit && last !== undefined ? encodeCursor(last.event_time, last.event_id) : null;
    return { leadId: id, events: page.map(eventView), nextCursor };
  });
}
