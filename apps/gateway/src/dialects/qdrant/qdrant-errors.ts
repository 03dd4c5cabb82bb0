import type { FastifyReply } from 'fastify';
import type { DialectAnswer } from '../../http/error-answer';
import type { ProblemBody } from '../../http/problem';

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
export const qdrantError = (problem: ProblemBody, elapsedMs: number): DialectAnswer => {
  const field = problem.field !== undefined ? ` (${problem.field})` : '';
  const error = `${problem.title}: ${problem.detail}${field}`;
  return {
    status: problem.status === 502 ? 500 : problem.status,
    body: { status: { error }, time: secondsOf(elapsedMs) },
  };
};
