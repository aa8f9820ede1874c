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

/** Creates a JSON logger that redacts personal data (see REDACTED_KEYS). */
export function createLogger(opts: { name: string; level?: string; destination?: pino.DestinationStream }): Logger {
  const options: pino.LoggerOptions = {
    // Not pino's `name` option: `name` is a redacted key, so the service would log as '[redacted]'.
    base: { service: opts.name, pid: process.pid, hostname: hostname() },
    level: opts.level ?? 'info',
    redact: { paths: redactPaths(), censor: '[redacted]' },
    // ISO time reads better in incident timelines than epoch millis.
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  return opts.destination ? pino(options, opts.destination) : pino(options);
}
