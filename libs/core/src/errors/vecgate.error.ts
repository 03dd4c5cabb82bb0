/**
 * Errors the libraries raise. Each carries the HTTP status the gateway answers with, so
 * libraries stay free of framework exceptions and any app (HTTP, CLI, worker) can map them.
 */
export interface ErrorExtras {
  /** The input field at fault, as a JSON-ish path (`vectors[3].values`). */
  field?: string;
  /** Seconds a client should wait before retrying (429, 503). */
  retryAfterSeconds?: number;
  /** A short machine-readable reason kept in the audit trail. */
  reason?: string;
}

/**
 * The longest message an error keeps, and the longest field path: a message or path naming a
 * caller's key of megabytes would otherwise echo it whole in the answer and the log line.
 */
export const ERROR_MESSAGE_MAX = 2048;
export const ERROR_FIELD_MAX = 512;

/**
 * `text` when short enough, else its start and its end around a count of what was left out:
 * the end of a message ("should not exist") says as much as its start.
 */
export function elided(text: string, max: number): string {
  if (text.length <= max) return text;
  const tail = Math.floor(max / 4);
  const head = max - tail;
  return `${text.slice(0, head)}…(${text.length - head - tail} characters)…${text.slice(-tail)}`;
}

export abstract class VecgateError extends Error {
  abstract readonly status: number;
  abstract readonly title: string;
  readonly extras: ErrorExtras;

  constructor(message: string, extras: ErrorExtras = {}) {
    super(elided(message, ERROR_MESSAGE_MAX));
    this.name = new.target.name;
    this.extras =
      extras.field !== undefined && extras.field.length > ERROR_FIELD_MAX
        ? { ...extras, field: elided(extras.field, ERROR_FIELD_MAX) }
        : extras;
  }
}

export class BadRequestError extends VecgateError {
  readonly status = 400;
  readonly title = 'Bad Request';
  constructor(message: string, field?: string, reason?: string) {
    super(message, { field, reason });
  }
}

/** A caller tried to name a tenant in its input: rejected and audited as a bypass attempt. */
export class TenantBypassError extends VecgateError {
  readonly status = 400;
  readonly title = 'Forbidden Tenant Key';
  constructor(message: string, field: string) {
    super(message, { field, reason: 'tenant_bypass_attempt' });
  }
}

export class UnauthorizedError extends VecgateError {
  readonly status = 401;
  readonly title = 'Unauthorized';
  constructor(message: string, reason?: string) {
    super(message, { reason });
  }
}

export class ForbiddenError extends VecgateError {
  readonly status = 403;
  readonly title = 'Forbidden';
  constructor(message: string, reason?: string) {
    super(message, { reason });
  }
}

export class NotFoundError extends VecgateError {
  readonly status = 404;
  readonly title = 'Not Found';
}

export class ConflictError extends VecgateError {
  readonly status = 409;
  readonly title = 'Conflict';
}

export class PayloadTooLargeError extends VecgateError {
  readonly status = 413;
  readonly title = 'Payload Too Large';
  constructor(message: string, field?: string, reason?: string) {
    super(message, { field, reason });
  }
}

export class UnsupportedMediaTypeError extends VecgateError {
  readonly status = 415;
  readonly title = 'Unsupported Media Type';
  constructor(message: string, field?: string) {
    super(message, { field });
  }
}

export class UnprocessableError extends VecgateError {
  readonly status = 422;
  readonly title = 'Unprocessable Content';
  constructor(message: string, field?: string) {
    super(message, { field });
  }
}

export class TooManyRequestsError extends VecgateError {
  readonly status = 429;
  readonly title = 'Too Many Requests';
  constructor(message: string, retryAfterSeconds: number) {
    super(message, { retryAfterSeconds, reason: 'rate_limited' });
  }
}

/** A backend refused or failed a call (its answer was an error). */
export class BackendError extends VecgateError {
  readonly status = 502;
  readonly title = 'Bad Gateway';
}

/** A backend or the audit store could not be reached or could not keep up. */
export class UnavailableError extends VecgateError {
  readonly status = 503;
  readonly title = 'Service Unavailable';
  constructor(message: string, retryAfterSeconds = 1, reason?: string) {
    super(message, { retryAfterSeconds, reason });
  }
}

/**
 * The request's deadline (`REQUEST_DEADLINE_MS`) passed before its work finished; the work was
 * stopped. A write that had already committed is answered as committed instead.
 */
export class DeadlineExceededError extends VecgateError {
  readonly status = 504;
  readonly title = 'Gateway Timeout';
  constructor(message = 'the request did not finish within its deadline') {
    super(message, { reason: 'deadline_exceeded' });
  }
}

/** A backend limit (databases, collections, partitions...) would be exceeded. */
export class CapacityError extends VecgateError {
  readonly status = 507;
  readonly title = 'Insufficient Storage';
  constructor(message: string, limit: string) {
    super(message, { reason: `limit:${limit}` });
  }
}

/**
 * The request reached a gateway replica that does not hold the tenant: an embedded tenant's
 * records live in one replica's data directory. Not retried by SDKs (4xx); route the tenant to
 * its replica.
 */
export class MisdirectedError extends VecgateError {
  readonly status = 421;
  readonly title = 'Misdirected Request';
  constructor(message: string, reason: string) {
    super(message, { reason });
  }
}
