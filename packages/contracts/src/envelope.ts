import { z } from 'zod';

// CloudEvents 1.0 attribute names, plus Baton's tenant and tracing extensions (lower-case, as CloudEvents
// requires for extension attributes).

/** Kafka topic that carries every lifecycle event of every lead, keyed by leadId (= `subject`). */
export const LIFECYCLE_TOPIC = 'lead-lifecycle.v1';
/** Where consumers park messages they can never process (bad schema, permanent handler error). */
export const DEAD_LETTER_TOPIC = 'lead-lifecycle.v1.dlq';

const textId = z.string().min(1).max(200);

/**
 * Envelope attributes as decoded, before the type is known. It is a loose object: CloudEvents lets producers
 * add extension attributes (e.g. `traceparent`), and a consumer must pass them through rather than reject.
 */
export const envelopeSchema = z.looseObject({
  id: z.uuid(),
  source: textId.meta({ description: 'Producing service, e.g. baton.capture', examples: ['baton.capture'] }),
  // Any non-empty string here: a well-formed envelope with a type outside the catalog is `unknown_type`.
  type: textId,
  specversion: z.literal('1.0'),
  time: z.iso.datetime({ offset: true }),
  subject: z.uuid().meta({ description: 'leadId; also the Kafka message key' }),
  tenantid: textId,
  // Not necessarily uuids: a chain may start at an HTTP request id. Defaults to the first event's id.
  correlationid: textId,
  causationid: textId.optional(),
  datacontenttype: z.literal('application/json').optional(),
  data: z.unknown(),
});

/** Envelope attributes shared by every lifecycle event (extension attributes pass through at runtime). */
export type Envelope = {
  id: string;
  source: string;
  type: string;
  specversion: '1.0';
  time: string;
  subject: string;
  tenantid: string;
  correlationid: string;
  causationid?: string | undefined;
  datacontenttype?: 'application/json' | undefined;
};

/** One validation problem, with a dotted path (`data.attendees.0.email`) safe to log: no input values. */
export type Issue = { path: string; message: string };

/** Convert zod issues to `Issue`s; capped so a garbage message cannot produce a huge dead-letter header. */
export function toIssues(issues: readonly z.core.$ZodIssue[], prefix: readonly PropertyKey[] = []): Issue[] {
  return issues.slice(0, 20).map((issue) => ({
    path: [...prefix, ...issue.path].map(String).join('.'),
    message: issue.message,
  }));
}
