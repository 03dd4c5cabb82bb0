import { HttpException, HttpStatus } from '@nestjs/common';
import { elided, VecgateError } from '@vecgate/core';

/** The longest `instance` (the request's path) a problem echoes: a path may be kilobytes. */
const INSTANCE_MAX = 1024;

/** RFC 9457 problem details, with vecgate's extensions. */
export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance: string;
  requestId: string;
  field?: string;
  reason?: string;
}

export interface Problem {
  readonly body: ProblemBody;
  readonly retryAfterSeconds?: number;
  /** True when the error came from our own code path, not the client (logged with a stack). */
  readonly internal: boolean;
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  408: 'Request Timeout',
  409: 'Conflict',
  411: 'Length Required',
  413: 'Payload Too Large',
  414: 'URI Too Long',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  507: 'Insufficient Storage',
};

/** Turns any error into a problem; unknown errors become a 500 that reveals nothing. */
export function toProblem(error: unknown, instance: string, requestId: string): Problem {
  const base = { type: 'about:blank', instance: elided(instance, INSTANCE_MAX), requestId };
  if (error instanceof VecgateError) {
    return {
      body: {
        ...base,
        title: error.title,
        status: error.status,
        detail: error.message,
        ...(error.extras.field !== undefined ? { field: error.extras.field } : {}),
        ...(error.extras.reason !== undefined ? { reason: error.extras.reason } : {}),
      },
      retryAfterSeconds: error.extras.retryAfterSeconds,
      internal: false,
    };
  }
  const framework = frameworkStatus(error);
  if (framework) {
    const { status } = framework;
    const detail = FRAMEWORK_WORDS.get(`${status} ${framework.detail}`) ?? framework.detail;
    return {
      body: {
        ...base,
        title: TITLES[status] ?? HttpStatus[status] ?? 'Error',
        status,
        detail: sanitize(status, detail),
      },
      internal: status >= 500,
    };
  }
  return {
    body: {
      ...base,
      title: TITLES[500] as string,
      status: 500,
      detail: 'an unexpected error occurred',
    },
    internal: true,
  };
}

/**
 * Fastify's words for a body it cannot read, which Nest passes on, in words that say what to
 * send. A body is read as UTF-8 and its length checked in bytes: bytes that are not UTF-8
 * decode to longer replacement characters, so they fail the length check, not the parse.
 */
const FRAMEWORK_WORDS = new Map([
  ['415 Unsupported Media Type', 'the body must be JSON, sent as application/json'],
  [
    '400 Request body size did not match Content-Length',
    'the body is not valid UTF-8, or not as long as its Content-Length',
  ],
]);

/**
 * The status of an error raised by the framework rather than by vecgate: Nest's
 * HttpExceptions, and errors that carry it in `statusCode`: Fastify's own, and the
 * http-errors of the static file handler behind /docs (403 for a path that climbs out of its
 * root, 404 for a missing file). `status` alone is not trusted: SDK errors use it for a
 * backend's answer to vecgate, which is not the client's fault. Anything else stays a 500.
 */
function frameworkStatus(error: unknown): { status: number; detail: string } | undefined {
  if (error instanceof HttpException) {
    const response = error.getResponse();
    const message =
      typeof response === 'string' ? response : (response as { message?: unknown }).message;
    const detail =
      typeof message === 'string'
        ? message
        : Array.isArray(message)
          ? message.map(String).join('; ')
          : error.message;
    return { status: error.getStatus(), detail };
  }
  if (!(error instanceof Error)) return undefined;
  const { statusCode } = error as { statusCode?: unknown };
  const carried =
    typeof statusCode === 'number' &&
    Number.isInteger(statusCode) &&
    statusCode >= 400 &&
    statusCode <= 599;
  return carried ? { status: statusCode, detail: error.message } : undefined;
}

/** Framework 5xx messages can carry internals; client errors are safe to echo. */
function sanitize(status: number, detail: string): string {
  return status >= 500 ? 'an unexpected error occurred' : detail.slice(0, 500);
}
