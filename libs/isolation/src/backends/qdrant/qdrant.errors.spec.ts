import {
  QdrantClientResourceExhaustedError,
  QdrantClientTimeoutError,
} from '@qdrant/js-client-rest';
import { BackendError, ConflictError, UnavailableError } from '@vecgate/core';
import { qdrantCall, qdrantFailure } from './qdrant.errors';

function apiError(status: number, statusText: string, error: string): Error {
  return Object.assign(new Error(statusText), {
    status,
    statusText,
    data: { status: { error }, time: 0 },
  });
}

describe('Qdrant error mapping', () => {
  it('turns an error status into a 502 naming the operation and status, never Qdrant’s text', () => {
    const err = qdrantFailure(
      'search',
      apiError(400, 'Bad Request', 'Wrong input: value "secret-metadata" in vg_t_abc'),
    );
    expect(err).toBeInstanceOf(BackendError);
    expect(err.status).toBe(502);
    expect(err.message).toBe('Qdrant refused search (HTTP 400 Bad Request)');
    expect(err.message).not.toContain('secret');
    expect(err.cause).toBe('Wrong input: value "secret-metadata" in vg_t_abc');
    expect(qdrantFailure('count points', apiError(404, 'Not Found', 'gone')).status).toBe(502);
    expect(qdrantFailure('count points', apiError(500, '', 'boom')).message).toBe(
      'Qdrant refused count points (HTTP 500)',
    );
  });

  it.each([429, 502, 503, 504])('turns HTTP %i into a 503 to retry', (status) => {
    const err = qdrantFailure('upsert points', apiError(status, 'Unavailable', 'x'));
    expect(err).toBeInstanceOf(UnavailableError);
    expect(err.status).toBe(503);
    expect(err.extras.retryAfterSeconds).toBe(1);
  });

  it('keeps the retry-after of an overloaded server', () => {
    const err = qdrantFailure('search', new QdrantClientResourceExhaustedError('slow down', '7'));
    expect(err.status).toBe(503);
    expect(err.extras.retryAfterSeconds).toBe(7);
  });

  it('turns a timeout or an unreachable server into a 503', () => {
    expect(qdrantFailure('search', new QdrantClientTimeoutError('aborted')).message).toBe(
      'Qdrant did not answer in time (search)',
    );
    const refused = new TypeError('fetch failed', {
      cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }),
    });
    const err = qdrantFailure('search', refused);
    expect(err.status).toBe(503);
    expect(err.message).toBe('Qdrant cannot be reached (search: ECONNREFUSED)');
    const dualStack = new TypeError('fetch failed', {
      cause: Object.assign(
        new AggregateError([Object.assign(new Error('x'), { code: 'ECONNREFUSED' })]),
        {},
      ),
    });
    expect(qdrantFailure('search', dualStack).status).toBe(503);
  });

  it('leaves the gateway’s own errors alone and makes anything else a 502', async () => {
    const own = new ConflictError('no');
    expect(qdrantFailure('x', own)).toBe(own);
    expect(qdrantFailure('x', new Error('Result came uninitialized')).message).toBe(
      'Qdrant x failed',
    );
    await expect(qdrantCall('read points', () => Promise.reject(new Error('?')))).rejects.toThrow(
      'Qdrant read points failed',
    );
    await expect(qdrantCall('read points', () => Promise.resolve(3))).resolves.toBe(3);
  });
});
