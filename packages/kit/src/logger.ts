import { hostname } from 'node:os';
import { pino } from 'pino';

/** The logger every package and service uses. */
export type Logger = pino.Logger;

/** Keys that hold personal data; their values never reach a log line. */
export const REDACTED_KEYS: readonly string[] = [
  'name',
  'firstName',
  'lastName',
  'fullName',
  'email',
  'phone',
  'contact',
  'attendees',
];

// pino redaction works on explicit paths, so each key is listed at the top and under up to four
// levels of wildcard (e.g. `lead.contact.details.email`); bodies are dropped whole because a
// request or event body is where personal data arrives before anyone has named its fields.
function redactPaths(): string[] {
  const prefixes = ['', '*.', '*.*.', '*.*.*.', '*.*.*.*.'];
  const keyed = prefixes.flatMap((prefix) => REDACTED_KEYS.map((key) => `${prefix}${key}`));
  return [...keyed, 'body', '*.body', 'req.body', 'request.body', 'payload', '*.payload'];
}

/*
 * Database errors quote the offending values: a unique violation's `detail` reads
 * "Key (email)=(ada@example.com) already exists", a bad cast puts the input in `message`. Keep what
 * diagnoses the failure (SQLSTATE, constraint, table, column) and drop what repeats the data.
 */
const PG_ERROR_FIELDS = ['code', 'severity', 'constraint', 'table', 'column', 'schema', 'routine'] as const;

function isDatabaseError(err: Record<string, unknown>): boolean {
  return typeof err['code'] === 'string' && /^[0-9A-Z]{5}$/.test(err['code']) && typeof err['severity'] === 'string';
}

/** pino's error serializer, minus the values database errors echo back. */
export function serializeError(err: unknown): unknown {
  if (typeof err !== 'object' || err === null) return err;
  const record = err as Record<string, unknown>;
  if (!isDatabaseError(record)) return pino.stdSerializers.err(err as Error);
  const safe: Record<string, unknown> = { type: 'DatabaseError', message: `database error ${String(record['code'])}` };
  for (const field of PG_ERROR_FIELDS) if (record[field] !== undefined) safe[field] = record[field];
  return safe;
}

/** Creates a JSON logger that redacts personal data (see REDACTED_KEYS). */
export function createLogger(opts: { name: string; level?: string; destination?: pino.DestinationStream }): Logger {
  const options: pino.LoggerOptions = {
    // Not pino's `name` option: `name` is a redacted key, so the service would log as '[redacted]'.
    base: { service: opts.name, pid: process.pid, hostname: hostname() },
    level: opts.level ?? 'info',
    redact: { paths: redactPaths(), censor: '[redacted]' },
    serializers: { err: serializeError, error: serializeError },
    // ISO time reads better in incident timelines than epoch millis.
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  return opts.destination ? pino(options, opts.destination) : pino(options);
}
