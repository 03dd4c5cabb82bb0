import { BackendError, CapacityError, UnavailableError } from '@vecgate/core';
import { checkStatus, isNotFound, isSuccess, statusError, thrownError } from './milvus.errors';

function grpcError(code: number, details: string): Error {
  return Object.assign(new Error(`${code} ${details}`), { code, details });
}

describe('Milvus answers', () => {
  it('is a success only when both the legacy and the numeric code say so', () => {
    expect(isSuccess({ error_code: 'Success', code: 0 })).toBe(true);
    expect(isSuccess({ error_code: 'Success' })).toBe(true);
    expect(isSuccess({ error_code: 'Success', code: 100 })).toBe(false);
    expect(isSuccess({ error_code: 'UnexpectedError', code: 0 })).toBe(false);
  });

  it('turns an answer without a status into a 502, never an empty result', () => {
    expect(() => checkStatus('search', undefined)).toThrow(BackendError);
    expect(() => checkStatus('search', undefined)).toThrow(
      'Milvus search answered without a status',
    );
    // What the SDK resolves for an UNIMPLEMENTED call whose answer is a bare status.
    expect(() => checkStatus('add namespace field', {})).toThrow(
      'Milvus add namespace field answered without a status',
    );
  });

  it('answers 503 for a not-ready, unavailable, throttled or retriable Milvus', () => {
    for (const status of [
      { error_code: 'UnexpectedError', code: 1, reason: 'service not ready' },
      { error_code: 'UnexpectedError', code: 2, reason: 'service unavailable' },
      { error_code: 'RateLimit', reason: 'rate limit exceeded' },
      { error_code: 'UnexpectedError', code: 8, reason: 'rate limit exceeded' },
      { error_code: 'UnexpectedError', code: 103, reason: 'not fully loaded', retriable: true },
    ]) {
      const error = statusError('query', status);
      expect(error).toBeInstanceOf(UnavailableError);
      expect(error.status).toBe(503);
      expect(error.message).toContain('Milvus query failed');
    }
  });

  it('answers 507 when a Milvus limit refuses a create', () => {
    const error = statusError('create database', {
      error_code: 'UnexpectedError',
      code: 801,
      reason: 'exceeded the limit number of database',
    });
    expect(error).toBeInstanceOf(CapacityError);
    expect(error.extras.reason).toBe('limit:milvus.databases');
  });

  it("answers 502 naming the operation and the code, keeping Milvus's reason as the cause", () => {
    const error = statusError('delete', {
      error_code: 'UnexpectedError',
      code: 1100,
      reason: 'invalid parameter',
    });
    expect(error).toBeInstanceOf(BackendError);
    expect(error.message).toBe('Milvus delete failed: invalid parameter (code 1100)');
    expect(error.cause).toBe('invalid parameter');
    expect(statusError('search', { error_code: 'UnexpectedError', code: 65535 }).message).toBe(
      'Milvus search failed: code 65535',
    );
    expect(statusError('search', { error_code: 'IllegalArgument', code: 0 }).message).toBe(
      'Milvus search failed: IllegalArgument',
    );
  });

  it('recognises collections, partitions, databases and indexes that do not exist', () => {
    expect(isNotFound({ error_code: 'UnexpectedError', code: 100 })).toBe(true);
    expect(isNotFound({ error_code: 'UnexpectedError', code: 800 })).toBe(true);
    expect(isNotFound({ error_code: 'CollectionNotExists' })).toBe(true);
    expect(isNotFound({ error_code: 'UnexpectedError', reason: 'partition not found' })).toBe(true);
    expect(isNotFound({ error_code: 'UnexpectedError', code: 1 })).toBe(false);
    expect(isNotFound({ error_code: 'Success', code: 0 })).toBe(false);
  });

  it('maps thrown transport errors, thrown statuses and anything else', () => {
    expect(thrownError('search', grpcError(14, 'connection refused'))).toBeInstanceOf(
      UnavailableError,
    );
    expect(thrownError('search', grpcError(4, 'deadline'))).toBeInstanceOf(UnavailableError);
    const auth = thrownError('search', grpcError(16, 'bad token'));
    expect(auth).toBeInstanceOf(BackendError);
    expect(auth.message).toBe('Milvus search failed: UNAUTHENTICATED (gRPC 16)');
    expect((auth.cause as Error).message).toBe('16 bad token');
    expect(
      thrownError('create collection', { error_code: 'UnexpectedError', code: 102 }),
    ).toBeInstanceOf(CapacityError);
    const odd = thrownError('search', new TypeError('x is undefined'));
    expect(odd.message).toBe('Milvus search failed: unexpected answer');
    expect((odd.cause as Error).message).toBe('x is undefined');
    const own = new UnavailableError('kept');
    expect(thrownError('search', own)).toBe(own);
  });
});
