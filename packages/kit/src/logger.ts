import { hostname } from 'node:os';
import { pino } from 'pino';
import { redact, redactFields } from './log-redaction.js';

export { REDACTED_KEYS } from './log-redaction.js';

/** The logger every package and service uses. */
export type Logger = pino.Logger;

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

// Errors reach their serializer whole (an Error's message and stack are not own keys, so a redacted copy
// would lose them); the serializer's output is redacted instead.
const SERIALIZED = new Set(['err', 'error']);
const serializeAndRedactError = (err: unknown): unknown => redact(serializeError(err));

// Values interpolated into the message (`log.info('got %o', value)`) bypass the formatters.
function redactInterpolated(this: pino.Logger, args: Parameters<pino.LogFn>, method: pino.LogFn): void {
  const firstValue = typeof args[0] === 'string' ? 1 : 2;
  if (args.length <= firstValue) return method.apply(this, args);
  return method.apply(this, args.map((arg, i) => (i < firstValue ? arg : redact(arg))) as Parameters<pino.LogFn>);
}

/** Creates a JSON logger that redacts personal data (see REDACTED_KEYS) in fields, bindings and errors. */
export function createLogger(opts: { name: string; level?: string; destination?: pino.DestinationStream }): Logger {
  const options: pino.LoggerOptions = {
    // Not pino's `name` option: `name` is a redacted key, so the service would log as '[redacted]'.
    base: { service: opts.name, pid: process.pid, hostname: hostname() },
    level: opts.level ?? 'info',
    formatters: { log: (fields) => redactFields(fields, SERIALIZED) },
    hooks: { logMethod: redactInterpolated },
    serializers: { err: serializeAndRedactError, error: serializeAndRedactError },
    // ISO time reads better in incident timelines than epoch millis.
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  const logger = opts.destination ? pino(options, opts.destination) : pino(options);
  // pino's bindings formatter sees the root's bindings only; children inherit this `child` through their
  // prototype, so every child's bindings are redacted too.
  const child = logger.child;
  logger.child = function redactedChild(this: Logger, bindings, childOptions) {
    return Reflect.apply(child, this, [redactFields(bindings, SERIALIZED), childOptions]) as ReturnType<Logger['child']>;
  } as Logger['child'];
  return logger;
}
