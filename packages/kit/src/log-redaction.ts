// Redaction for the kit's logger. pino's own `redact` option matches a list of explicit paths, and its
// implementation re-parses every path for every logged value: with each personal key listed under four
// levels of wildcard that was the largest cost of a request's log line. One walk over the keys that are
// actually there is cheaper, and it reaches any depth instead of the depth the path list spelled out.

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

/** What a redacted value is replaced with. */
export const CENSOR = '[redacted]';

// Bodies are dropped whole: a request or event body is where personal data arrives before anyone has
// named its fields.
const CENSORED = new Set([...REDACTED_KEYS, 'body', 'payload']);

// Log objects are shallow; anything nested deeper is not worth the risk of printing unread.
const MAX_DEPTH = 10;

/** What a value met again on its own path (a cycle) is replaced with, as JSON.stringify would fail there. */
export const CIRCULAR = '[Circular]';

/**
 * `value` with the value of every censored key replaced by CENSOR, at any depth. Shares every object that
 * needs no change, so the common log line (ids, counts, durations) allocates nothing.
 */
export function redact(value: unknown): unknown {
  return redactAt(value, 0, new Set());
}

/** redact for a log line's own fields, except `skip`: fields whose serializer redacts what it returns. */
export function redactFields(fields: Record<string, unknown>, skip: ReadonlySet<string>): Record<string, unknown> {
  return redactObject(fields, 0, new Set(), skip);
}

// Values that print through toJSON and carry no keys of their own worth reading.
const isOpaque = (value: object): boolean => value instanceof Date || value instanceof Uint8Array || value instanceof URL;

function redactAt(value: unknown, depth: number, path: Set<object>): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (path.has(value)) return CIRCULAR;
  if (depth >= MAX_DEPTH) return CENSOR;
  if (isOpaque(value)) return value;
  path.add(value);
  try {
    // Anything else with toJSON prints what toJSON returns: that is what is read.
    const toJSON = (value as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === 'function') return redactAt(toJSON.call(value), depth, path);
    return Array.isArray(value) ? redactArray(value, depth, path) : redactObject(value as Record<string, unknown>, depth, path);
  } finally {
    path.delete(value);
  }
}

function redactArray(array: readonly unknown[], depth: number, path: Set<object>): unknown[] {
  let copy: unknown[] | undefined;
  for (let i = 0; i < array.length; i++) {
    const item = array[i];
    const redacted = redactAt(item, depth + 1, path);
    if (redacted !== item) {
      copy ??= array.slice();
      copy[i] = redacted;
    }
  }
  return copy ?? (array as unknown[]);
}

function redactObject(object: Record<string, unknown>, depth: number, path: Set<object>, skip?: ReadonlySet<string>): Record<string, unknown> {
  let copy: Record<string, unknown> | undefined;
  // Own enumerable keys: exactly what JSON.stringify prints, also for an Error logged under another key.
  for (const key of Object.keys(object)) {
    if (skip?.has(key)) continue;
    const item = object[key];
    const redacted = CENSORED.has(key) && item !== undefined ? CENSOR : redactAt(item, depth + 1, path);
    if (redacted !== item) {
      // Same prototype: a getter (a class's, or a serializer reading it later) still answers on the copy.
      copy ??= Object.assign(Object.create(Object.getPrototypeOf(object) as object | null) as Record<string, unknown>, object);
      copy[key] = redacted;
    }
  }
  return copy ?? object;
}
