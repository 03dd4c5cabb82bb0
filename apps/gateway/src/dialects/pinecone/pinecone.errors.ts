import type { FastifyInstance } from 'fastify';
import { addErrorDialect, DialectAnswer, ErrorDialect } from '../../http/error-answer';
import type { ProblemBody } from '../../http/problem';
import { fieldAsSent } from '../field-names';
import { DATA_PLANE_PATH } from './pinecone-hosts';

/** gRPC status codes, which Pinecone's data plane answers in its error bodies. */
const GRPC_CODES: Record<string, number> = {
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  QUOTA_EXCEEDED: 8,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
};

/**
 * The status Pinecone would answer and its code. Pinecone never answers 422 or 413: an
 * unacceptable value (a wrong dimension) or size (a body, metadata or batch too large) is 400
 * there. A quota, or a backend limit (507), is 403
 * `QUOTA_EXCEEDED` like Pinecone's own; a 5xx is kept for real faults only, since the SDKs
 * retry those.
 */
function pineconeStatus(problem: ProblemBody): { status: number; code: string } {
  const { status } = problem;
  // A storage or namespace quota (403 `quota:...`), like Pinecone's own quotas.
  if (status === 403 && problem.reason?.startsWith('quota:'))
    return { status, code: 'QUOTA_EXCEEDED' };
  switch (status) {
    case 400:
    case 415:
      return { status, code: 'INVALID_ARGUMENT' };
    // A size past a limit is 400 there too ("Request size 3MB exceeds the maximum supported
    // size of 2MB"), which the SDKs raise as their bad-request error; they map no 413.
    case 413:
    case 422:
      return { status: 400, code: 'INVALID_ARGUMENT' };
    case 401:
      return { status, code: 'UNAUTHENTICATED' };
    case 403:
      return { status, code: 'PERMISSION_DENIED' };
    case 507:
      return { status: 403, code: 'QUOTA_EXCEEDED' };
    case 404:
      return { status, code: 'NOT_FOUND' };
    case 409:
      return { status, code: 'ALREADY_EXISTS' };
    case 429:
      return { status, code: 'RESOURCE_EXHAUSTED' };
    case 503:
      return { status, code: 'UNAVAILABLE' };
    case 504:
      return { status, code: 'DEADLINE_EXCEEDED' };
    default:
      return status < 500 ? { status, code: 'INVALID_ARGUMENT' } : { status, code: 'INTERNAL' };
  }
}

/** The message a Pinecone client shows: vecgate's detail, with the field at fault. */
function messageOf(problem: ProblemBody): string {
  return problem.field ? `${fieldAsSent(problem.field)}: ${problem.detail}` : problem.detail;
}

/** The control plane's error body: `{error: {code, message}, status}`. */
export const controlPlaneError = (problem: ProblemBody): DialectAnswer => {
  const { status, code } = pineconeStatus(problem);
  const body = { error: { code, message: messageOf(problem) }, status };
  return { status, body };
};

/** The data plane's error body, a gRPC status: `{code, message, details}`. */
export const dataPlaneError = (problem: ProblemBody): DialectAnswer => {
  const { status, code } = pineconeStatus(problem);
  const body = { code: GRPC_CODES[code] ?? 13, message: messageOf(problem), details: [] };
  return { status, body };
};

/**
 * A request under `/pinecone` on the main port answers in Pinecone's shape, whatever raised its
 * error (an unrouted path, a body that is not JSON, a refusal before its handler): the data
 * plane's under an index host's path, the control plane's elsewhere.
 */
export const pineconeErrorDialect: ErrorDialect = (request) => {
  const path = (request.url ?? '').split('?')[0] ?? '';
  if (path.startsWith(`/${DATA_PLANE_PATH}/`)) return dataPlaneError;
  return path === '/pinecone' || path.startsWith('/pinecone/') ? controlPlaneError : undefined;
};

/** Registers the Pinecone dialect's error shapes on the Fastify instance. */
export function preparePineconeDialect(fastify: FastifyInstance): void {
  addErrorDialect(fastify, pineconeErrorDialect);
}
