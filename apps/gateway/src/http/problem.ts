import { HttpException, HttpStatus } from '@nestjs/common';
import { VecgateError } from '@vecgate/core';

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
  const base = { type: 'about:blank', instance, requestId };
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
  if (error instanceof HttpException) {
    const status = error.getStatus();
    const response = error.getResponse();
    const message =
      typeof response === 'string' ? response : (response as { message?: unknown }).message;
    const detail =
      typeof message === 'string'
        ? message
        : Array.isArray(message)
          ? message.map(String).join('; ')
          : error.message;
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

/** Framework 5xx messages can carry internals; client errors are safe to echo. */
function sanitize(status: number, detail: string): string {
  return status >= 500 ? 'an unexpected error occurred' : detail.slice(0, 500);
}
