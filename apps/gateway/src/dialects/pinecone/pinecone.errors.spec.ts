import type { ProblemBody } from '../../http/problem';
import { controlPlaneError, dataPlaneError } from './pinecone.errors';

const problem = (status: number, detail = 'why', field?: string): ProblemBody => ({
  type: 'about:blank',
  title: 'T',
  status,
  detail,
  instance: '/pinecone/x',
  requestId: 'r',
  ...(field ? { field } : {}),
});

describe('Pinecone error shapes', () => {
  it('answers the control plane as {error: {code, message}, status}', () => {
    expect(controlPlaneError(problem(409, 'index "docs" already exists'))).toEqual({
      status: 409,
      body: {
        error: { code: 'ALREADY_EXISTS', message: 'index "docs" already exists' },
        status: 409,
      },
    });
    expect(controlPlaneError(problem(404)).body).toMatchObject({ error: { code: 'NOT_FOUND' } });
  });

  it('answers the data plane as a gRPC status naming the field', () => {
    expect(dataPlaneError(problem(400, 'must be a string', 'namespace'))).toEqual({
      status: 400,
      body: { code: 3, message: 'namespace: must be a string', details: [] },
    });
    expect(dataPlaneError(problem(401)).body).toMatchObject({ code: 16 });
    expect(dataPlaneError(problem(429)).body).toMatchObject({ code: 8 });
  });

  it('never turns a refusal into a 5xx the SDKs would retry', () => {
    for (const status of [400, 401, 403, 404, 409, 413, 415, 422, 429, 507]) {
      expect(dataPlaneError(problem(status)).status).toBeLessThan(500);
      expect(controlPlaneError(problem(status)).status).toBeLessThan(500);
    }
    expect(dataPlaneError(problem(422)).status).toBe(400);
    expect(dataPlaneError(problem(413))).toMatchObject({ status: 400, body: { code: 3 } });
    expect(controlPlaneError(problem(413)).status).toBe(400);
    expect(dataPlaneError(problem(507)).status).toBe(403);
  });

  it('answers a quota as QUOTA_EXCEEDED, 403, as Pinecone does', () => {
    const quota = { ...problem(403), reason: 'quota:namespaces' };
    expect(controlPlaneError(quota)).toMatchObject({
      status: 403,
      body: { error: { code: 'QUOTA_EXCEEDED' } },
    });
    expect(dataPlaneError(quota).body).toMatchObject({ code: 8 });
    expect(controlPlaneError(problem(507)).body).toMatchObject({
      error: { code: 'QUOTA_EXCEEDED' },
    });
    expect(controlPlaneError(problem(403)).body).toMatchObject({
      error: { code: 'PERMISSION_DENIED' },
    });
  });

  it('keeps real faults as faults', () => {
    expect(dataPlaneError(problem(503)).body).toMatchObject({ code: 14 });
    expect(controlPlaneError(problem(500)).body).toMatchObject({ error: { code: 'INTERNAL' } });
  });
});
