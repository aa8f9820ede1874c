/** A handler error that will fail the same way on every retry: the event goes to the dead-letter topic. */
export class PermanentError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PermanentError';
    this.code = code;
  }
}

/**
 * Decides whether retrying can help. Only errors known to be deterministic are permanent; everything else
 * (database down, broker unreachable, a deadlock) is retried, because skipping an event loses it.
 */
export function isPermanentError(err: unknown): boolean {
  if (err instanceof PermanentError) return true;
  if (typeof err !== 'object' || err === null) return false;
  if ((err as { name?: unknown }).name === 'ZodError') return true;
  const code = (err as { code?: unknown }).code;
  // SQLSTATE class 22 (data exception: bad input syntax, out of range) repeats on every retry. Class 23
  // (unique / foreign key) does not: two replicas racing on one row lose once, then succeed on retry.
  return typeof code === 'string' && /^22[0-9A-Z]{3}$/.test(code);
}

/** A short, stable code for an error, for dead-letter headers and metrics. */
export function errorCode(err: unknown): string {
  if (typeof err === 'object' && err !== null) {
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string' && code.length > 0) return code;
    const name = (err as { name?: unknown }).name;
    if (typeof name === 'string' && name.length > 0) return name;
  }
  return 'unknown';
}
