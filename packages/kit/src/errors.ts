/** Options of an AppError beyond its code and message. */
export type AppErrorOptions = {
  status?: number;
  details?: unknown;
  cause?: unknown;
  headers?: Record<string, string>;
};

/** An error with a stable string code; the HTTP error handler turns it into problem+json. */
export class AppError extends Error {
  readonly code: string;
  readonly status: number;
  readonly details: unknown;
  readonly headers: Record<string, string>;

  constructor(code: string, message: string, opts: AppErrorOptions = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'AppError';
    this.code = code;
    // An AppError without a status is a bug of ours, not of the caller.
    this.status = opts.status ?? 500;
    this.details = opts.details;
    this.headers = opts.headers ?? {};
  }
}

/** An error Postgres answered with (a SQLSTATE and a severity), as opposed to a connection that broke. */
export function isDatabaseError(value: unknown): value is Error & { code: string; severity: string } {
  const err = value as { code?: unknown; severity?: unknown } | null;
  return typeof err === 'object' && err !== null && typeof err.code === 'string' && /^[0-9A-Z]{5}$/.test(err.code) && typeof err.severity === 'string';
}

/** Tells an AppError from any other thrown value. */
export function isAppError(value: unknown): value is AppError {
  return value instanceof AppError;
}

/** The common AppErrors, so codes and statuses stay consistent across services. */
export const errors = {
  notFound: (what: string) => new AppError('not_found', `${what} not found`, { status: 404 }),
  conflict: (code: string, message: string, details?: unknown) =>
    new AppError(code, message, { status: 409, details }),
  badRequest: (code: string, message: string, details?: unknown) =>
    new AppError(code, message, { status: 400, details }),
  unprocessable: (code: string, message: string, details?: unknown) =>
    new AppError(code, message, { status: 422, details }),
  unauthorized: () =>
    new AppError('unauthorized', 'A valid API key is required', {
      status: 401,
      headers: { 'www-authenticate': 'Bearer' },
    }),
  forbidden: (scope: string) =>
    new AppError('forbidden', `The API key lacks the scope ${scope}`, { status: 403, details: { requiredScope: scope } }),
  tooManyRequests: (retryAfterSec: number) => {
    // Whole seconds, as Retry-After has them, in the header, the message and the details alike.
    const seconds = Math.max(0, Math.ceil(retryAfterSec));
    return new AppError('rate_limited', `Too many requests; retry in ${seconds} s`, {
      status: 429,
      details: { retryAfter: seconds },
      headers: { 'retry-after': String(seconds) },
    });
  },
  unavailable: (what: string) => new AppError('unavailable', `${what} is unavailable`, { status: 503 }),
};
