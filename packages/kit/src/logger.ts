import { hostname } from 'node:os';
import { pino } from 'pino';
import { isDatabaseError } from './errors.js';
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

const isErrorLike = (value: unknown): value is Error =>
  value instanceof Error || (typeof value === 'object' && value !== null && typeof (value as { message?: unknown }).message === 'string' && typeof (value as { stack?: unknown }).stack === 'string');

/**
 * pino's error serializer, minus the values database errors echo back, wherever the database error sits: the
 * error itself, its `cause`, an AggregateError's `errors`, or any property holding an error. (pino's own
 * serializer appends each cause's message to the error's, which would carry a database error's text along.)
 */
export function serializeError(err: unknown): unknown {
  return serializeErrorIn(err, new Set());
}

function serializeErrorIn(err: unknown, seen: Set<object>): unknown {
  if (!isErrorLike(err)) return err;
  const record = err as unknown as Record<string, unknown>;
  if (isDatabaseError(record)) {
    const safe: Record<string, unknown> = { type: 'DatabaseError', message: `database error ${String(record['code'])}` };
    for (const field of PG_ERROR_FIELDS) if (record[field] !== undefined) safe[field] = record[field];
    return safe;
  }
  if (seen.has(err)) return '[Circular]';
  seen.add(err);
  const out: Record<string, unknown> = { type: err.constructor?.name ?? err.name, message: err.message, stack: err.stack };
  // Own and inherited enumerable properties, as pino's serializer copies them.
  for (const key in record) {
    if (out[key] === undefined) out[key] = isErrorLike(record[key]) ? serializeErrorIn(record[key], seen) : record[key];
  }
  if (record['cause'] !== undefined) out['cause'] = serializeErrorIn(record['cause'], seen);
  if (Array.isArray(record['errors'])) out['errors'] = record['errors'].map((inner) => serializeErrorIn(inner, seen));
  return out;
}

// Errors reach their serializer whole (an Error's message and stack are not own keys, so a redacted copy
// would lose them); the serializer's output is redacted instead. Requests and replies (fastify logs
// `{ req }` / `{ res: reply }` in places) go to serializers that print only what is safe, rather than being
// walked: they are large graphs of sockets and parsers.
const SERIALIZED = new Set(['err', 'error', 'req', 'res']);
const serializeAndRedactError = (err: unknown): unknown => redact(serializeError(err));
const field = (value: unknown, key: string): unknown => (typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined);
const serializers: pino.LoggerOptions['serializers'] = {
  err: serializeAndRedactError,
  error: serializeAndRedactError,
  // The route pattern, never the URL: a query string can carry an email or a phone.
  req: (req: unknown) => ({ method: field(req, 'method'), route: field(field(req, 'routeOptions'), 'url') }),
  res: (res: unknown) => ({ statusCode: field(res, 'statusCode') }),
};

/*
 * Everything a call hands pino besides its fields: values interpolated into the message (`%o`, `%j`) and an
 * object given as the message bypass the formatters. An error logged alone (`log.error(err)`) lends pino
 * its message: for a database error that message can quote the input, so the serializer's safe one is used.
 */
function redactArguments(this: pino.Logger, args: Parameters<pino.LogFn>, method: pino.LogFn): void {
  const [first, ...rest] = args as unknown[];
  if (first instanceof Error && rest.length === 0) {
    return method.apply(this, [first, String(field(serializeError(first), 'message'))] as Parameters<pino.LogFn>);
  }
  return method.apply(this, [first, ...rest.map((arg) => redact(arg))] as Parameters<pino.LogFn>);
}

/** How long a log line may wait in the buffer of `logDestination` before it is written. */
const LOG_FLUSH_INTERVAL_MS = 250;

/**
 * Where log lines go unless a caller says otherwise: stdout, or the file at `path`. Lines are buffered and
 * written about 4 KB at a time, or every LOG_FLUSH_INTERVAL_MS, whichever comes first; what is left is
 * written synchronously when the process exits (pino does this for every asynchronous destination).
 * pino's default writes each line on its own, handing every line to libuv's thread pool: at 500 leads/s
 * that cost capture 5-25% of its Node CPU per lead and about 4 ms of its p99 (six interleaved pairs of
 * pnpm bench capture --fixed-only, see capture's README). The price: a process killed outright (SIGKILL,
 * out of memory) loses up to its last LOG_FLUSH_INTERVAL_MS of lines.
 */
export function logDestination(path?: string): pino.DestinationStream {
  return pino.destination({ ...(path === undefined ? {} : { dest: path }), sync: false, minLength: 4096, periodicFlush: LOG_FLUSH_INTERVAL_MS });
}

/** Creates a JSON logger that redacts personal data (see REDACTED_KEYS) in fields, bindings and errors. */
export function createLogger(opts: { name: string; level?: string; destination?: pino.DestinationStream }): Logger {
  const options: pino.LoggerOptions = {
    // Not pino's `name` option: `name` is a redacted key, so the service would log as '[redacted]'.
    base: { service: opts.name, pid: process.pid, hostname: hostname() },
    level: opts.level ?? 'info',
    formatters: { log: (fields) => redactFields(fields, SERIALIZED) },
    hooks: { logMethod: redactArguments },
    serializers,
    // ISO time reads better in incident timelines than epoch millis.
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  const logger = pino(options, opts.destination ?? logDestination());
  keepRedacting(logger);
  return logger;
}

/*
 * pino's bindings formatter sees the root's bindings only, and a child may bring formatters or serializers
 * of its own. Children inherit these overrides through their prototype, so every child, and every child of
 * a child, has its bindings redacted and cannot switch redaction off.
 */
function keepRedacting(logger: Logger): void {
  const { child, setBindings } = logger;
  logger.child = function redactedChild(this: Logger, bindings, childOptions) {
    const safeBindings = typeof bindings === 'object' && bindings !== null ? redactFields(bindings, SERIALIZED) : bindings;
    return Reflect.apply(child, this, [safeBindings, childOptions && redactingOptions(childOptions)]) as ReturnType<Logger['child']>;
  } as Logger['child'];
  logger.setBindings = function redactedSetBindings(this: Logger, bindings) {
    Reflect.apply(setBindings, this, [redactFields(bindings, SERIALIZED)]);
  };
}

function redactingOptions<T extends pino.ChildLoggerOptions>(childOptions: T): T {
  const log = childOptions.formatters?.log;
  const own = childOptions.serializers ?? {};
  const wrapped = Object.fromEntries(Object.entries(own).map(([key, serialize]) => [key, (value: unknown) => redact(serialize(value))]));
  return {
    ...childOptions,
    ...(log ? { formatters: { ...childOptions.formatters, log: (fields: Record<string, unknown>) => redactFields(log(fields) as Record<string, unknown>, SERIALIZED) } } : {}),
    ...(childOptions.serializers ? { serializers: wrapped } : {}),
  };
}
