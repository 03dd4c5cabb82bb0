import { Errors } from '@pinecone-database/pinecone';
import { BackendError, ConflictError, UnavailableError } from '@vecgate/core';
import { guarded, isNotFound, pineconeStatus, toGatewayError } from './pinecone.errors';

const request = { url: 'https://secret-host.svc.pinecone.io/query', message: 'echo of input' };

describe('Pinecone error mapping', () => {
  it('maps unreachable, overloaded and failing servers to 503 with a retry hint', () => {
    const cases: Error[] = [
      new Errors.PineconeConnectionError(new Error('ECONNREFUSED')),
      new Errors.PineconeMaxRetriesExceededError(3),
      new Errors.PineconeUnavailableError({ ...request, status: 503 }),
      new Errors.PineconeInternalServerError({ ...request, status: 500 }),
      new Errors.PineconeUnmappedHttpError({ ...request, status: 504 }),
    ];
    for (const err of cases) {
      const mapped = toGatewayError(err, 'query');
      expect(mapped).toBeInstanceOf(UnavailableError);
      expect(mapped.status).toBe(503);
      expect(mapped.extras.retryAfterSeconds).toBe(1);
      expect(mapped.message).not.toContain('secret-host');
      expect((mapped as Error & { cause?: unknown }).cause).toBe(err);
    }
    const limited = toGatewayError(
      new Errors.PineconeUnmappedHttpError({ ...request, status: 429 }),
      'upsert',
    );
    expect(limited).toBeInstanceOf(UnavailableError);
    expect(limited.extras.reason).toBe('pinecone_rate_limited');
  });

  it('maps every other refusal to 502 in our own words', () => {
    const cases: [Error, RegExp][] = [
      [
        new Errors.PineconeBadRequestError({ ...request, status: 400 }),
        /refused the request \(400\/403\)/,
      ],
      [
        new Errors.PineconeAuthorizationError({ ...request, status: 401 }),
        /refused the API key \(401\)/,
      ],
      [new Errors.PineconeNotFoundError({ ...request, status: 404 }), /answered 404/],
      [new Errors.PineconeConflictError({ ...request, status: 409 }), /answered 409/],
      [new Errors.PineconeUnprocessableEntityError({ ...request, status: 422 }), /answered 422/],
      [new Errors.PineconeUnmappedHttpError({ ...request, status: 413 }), /answered 413/],
      [new Errors.PineconeArgumentError('bad'), /the client refused the request/],
      [new Error('surprise'), /unexpected error/],
    ];
    for (const [err, message] of cases) {
      const mapped = toGatewayError(err, 'fetch');
      expect(mapped).toBeInstanceOf(BackendError);
      expect(mapped.status).toBe(502);
      expect(mapped.message).toMatch(/^pinecone fetch failed: /);
      expect(mapped.message).toMatch(message);
      expect(mapped.message).not.toContain('echo of input');
    }
  });

  it('keeps the gateway errors it meets, and reads statuses', async () => {
    const own = new ConflictError('mine');
    expect(toGatewayError(own, 'x')).toBe(own);
    expect(isNotFound(new Errors.PineconeNotFoundError({ ...request, status: 404 }))).toBe(true);
    expect(isNotFound(new Errors.PineconeConflictError({ ...request, status: 409 }))).toBe(false);
    expect(pineconeStatus('not an error')).toBeUndefined();
    await expect(
      guarded('count', () => Promise.reject(new Errors.PineconeMaxRetriesExceededError(0))),
    ).rejects.toBeInstanceOf(UnavailableError);
    await expect(guarded('count', () => Promise.resolve(4))).resolves.toBe(4);
  });
});
