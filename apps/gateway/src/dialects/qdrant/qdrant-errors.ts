import type { FastifyReply } from 'fastify';
import type { DialectAnswer } from '../../http/error-answer';
import type { ProblemBody } from '../../http/problem';
import { fieldAsSent } from '../field-names';
import { QDRANT_PREFIX } from './qdrant.route';

/** Seconds since the request arrived, as Qdrant's envelopes report it in `time`. */
export function elapsedSeconds(reply: FastifyReply): number {
  return secondsOf(reply.elapsedTime);
}

function secondsOf(elapsedMs: number): number {
  return Math.round(elapsedMs) / 1000;
}

/**
 * Qdrant clients read errors as `{status: {error}, time}`. The status stays (the client retries
 * nothing, and 4xx refusals stay 4xx), except a backend's failure (502), which Qdrant reports
 * as 500.
 */
/**
 * The router's "Cannot GET /qdrant/..." for a path no route serves: the port's requests run
 * under an internal prefix, which the answer leaves out (the path as the client sent it).
 */
let unrouted: RegExp | undefined;
// Built on first use: qdrant.route imports this module, so its prefix is not yet set on load.
const unroutedPath = (): RegExp =>
  (unrouted ??= new RegExp(`^(Cannot [A-Z]+ )${QDRANT_PREFIX}(?:/|$)`));

export const qdrantError = (problem: ProblemBody, elapsedMs: number): DialectAnswer => {
  const field = problem.field !== undefined ? ` (${fieldAsSent(problem.field)})` : '';
  const detail = problem.detail.replace(unroutedPath(), '$1/');
  const error = `${problem.title}: ${detail}${field}`;
  return {
    status: problem.status === 502 ? 500 : problem.status,
    body: { status: { error }, time: secondsOf(elapsedMs) },
  };
};
