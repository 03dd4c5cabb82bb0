import { BadRequestError, UnprocessableError } from '@vecgate/core';
import {
  checkFlatMetadata,
  checkIndexSpace,
  pineconeScore,
  upsertRecords,
} from './pinecone.translate';

describe('Pinecone translation', () => {
  it('reports a euclidean score as the squared distance and keeps similarities', () => {
    // vecgate's euclidean score is the negated distance.
    expect(pineconeScore('euclidean', -3)).toBe(9);
    expect(pineconeScore('euclidean', -0)).toBe(0);
    expect(pineconeScore('cosine', 0.25)).toBe(0.25);
    expect(pineconeScore('dot', -4)).toBe(-4);
  });

  it('accepts flat metadata only, as Pinecone does', () => {
    expect(() => checkFlatMetadata({ a: 'x', b: 1, c: true, d: ['p', 'q'] }, 'm')).not.toThrow();
    for (const bad of [{ a: { b: 1 } }, { a: [1, 2] }, { a: null }, [], 'text'])
      expect(() => checkFlatMetadata(bad, 'm')).toThrow(BadRequestError);
  });

  it('refuses sparse values by name', () => {
    expect(() =>
      upsertRecords([{ id: 'a', values: [1], sparseValues: { indices: [0], values: [1] } }]),
    ).toThrow(/sparseValues is not supported/);
  });

  it('creates an index only in the tenant’s dimension and metric', () => {
    const space = { dimension: 4, metric: 'dot' as const };
    expect(() => checkIndexSpace({ dimension: 4, metric: 'dotproduct' }, space)).not.toThrow();
    expect(() => checkIndexSpace({ dimension: 8, metric: 'dotproduct' }, space)).toThrow(
      UnprocessableError,
    );
    expect(() => checkIndexSpace({ dimension: 4 }, space)).toThrow(/metric must be/);
    expect(() =>
      checkIndexSpace({ dimension: 4, metric: 'dotproduct', vector_type: 'sparse' }, space),
    ).toThrow(BadRequestError);
    expect(() =>
      checkIndexSpace(
        { dimension: 4, metric: 'dotproduct', deletion_protection: 'enabled' },
        space,
      ),
    ).toThrow(/deletion protection is not supported/);
  });
});
