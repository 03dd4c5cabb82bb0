import { rng } from '../../../../../test/support/rng';
import { Metadata, MetricName } from '../../ports/vector.types';
import type { Job, SliceClock } from './embedded.engine-scheduler';
import { ScanQuery, scanMatrix } from './embedded.search';
import { compileRowFilter } from './embedded.row-filter';
import { Hit } from './embedded.sliced-scan';
import { TenantMatrix } from './embedded.tenant-matrix';

const METRICS: readonly MetricName[] = ['cosine', 'euclidean', 'dot'];
const DIMENSION = 12;
const OWNER = { tenantUid: 'uid', namespace: '' };

/** Runs a job to completion, counting its pauses. */
function drive<T>(job: Job<T>): { value: T; pauses: number } {
  let pauses = 0;
  for (;;) {
    const step = job.next();
    if (step.done) return { value: step.value, pauses };
    pauses++;
  }
}

const never: SliceClock = { over: () => false };
const always: SliceClock = { over: () => true };

interface Row {
  id: string;
  values: Float32Array;
  metadata: Metadata;
}

/**
 * Rows with many exact ties: a quarter repeat one of four prototype vectors, so equal scores
 * cross chunk boundaries and the cut at k.
 */
function rowsWithTies(seed: number, count: number): Row[] {
  const next = rng(seed);
  const random = () => Float32Array.from({ length: DIMENSION }, () => next() * 2 - 1);
  const prototypes = [random(), random(), random(), random()];
  return Array.from({ length: count }, (_, i) => ({
    id: `r${i}`,
    values: i % 4 === 0 ? (prototypes[(i / 4) % 4] as Float32Array) : random(),
    metadata: { g: i % 10, tags: [i % 3, i % 7] },
  }));
}

/**
 * Insertion sequences run against row order (as after updates and deletes), so a scan that
 * kept whichever tied rows usearch happened to return first would be caught.
 */
const seqOf = (i: number) => 10_000 - i;

function matrixOf(rows: readonly Row[], rowsPerChunk: number): TenantMatrix {
  const matrix = new TenantMatrix(DIMENSION, rowsPerChunk);
  rows.forEach((r, i) => matrix.put(r.id, OWNER, r.values, r.metadata, 10, seqOf(i)));
  return matrix;
}

function named(matrix: TenantMatrix, hits: readonly Hit[]): { id: string; distance: number }[] {
  return hits.map((h) => ({ id: matrix.idAt(h.row), distance: h.distance }));
}

describe('sliced scan', () => {
  const rows = rowsWithTies(41, 230);
  const query = rows[0]!.values;

  describe.each(METRICS)('with the %s metric', (metric) => {
    it.each([1, 5, 40, 230, 1000])(
      'a scan in chunks of 7 rows equals one scan of the whole matrix (ids, order, scores), k=%i',
      (k) => {
        const whole = matrixOf(rows, rows.length);
        const sliced = matrixOf(rows, 7);
        expect(sliced.chunkCount).toBe(33);
        const q: ScanQuery = { vector: query, topK: k, metric };
        const expected = drive(scanMatrix(whole, q, never)).value;
        const got = drive(scanMatrix(sliced, q, always));
        expect(named(sliced, got.value)).toEqual(named(whole, expected));
        expect(got.value).toHaveLength(Math.min(k, rows.length));
        expect(got.pauses).toBeGreaterThanOrEqual(sliced.chunkCount - 1);
        // The ties really are there: equal distances, ordered by insertion.
        const distances = got.value.map((h) => h.distance);
        if (k >= 40) expect(new Set(distances).size).toBeLessThan(distances.length);
        for (let i = 1; i < got.value.length; i++) {
          const [a, b] = [got.value[i - 1]!, got.value[i]!];
          expect(a.distance < b.distance || (a.distance === b.distance && a.seq < b.seq)).toBe(
            true,
          );
        }
      },
    );

    it.each([
      ['selective', { op: '$eq', field: 'g', value: 3 }],
      ['unselective', { op: '$ne', field: 'g', value: 3 }],
      ['array', { op: '$in', field: 'tags', values: [2, 5] }],
    ] as const)(
      'a %s filtered scan in chunks equals a whole scan of only the matching rows',
      (_name, filter) => {
        const predicate = compileRowFilter(filter);
        const matching = rows.filter((r) => predicate(r.metadata));
        // Same records, same insertion sequence: only the non-matching ones are left out.
        const only = new TenantMatrix(DIMENSION, rows.length);
        rows.forEach((r, i) => {
          if (predicate(r.metadata)) only.put(r.id, OWNER, r.values, r.metadata, 10, seqOf(i));
        });
        const sliced = matrixOf(rows, 7);
        for (const k of [1, 10, 25, matching.length, 1000]) {
          const expected = drive(scanMatrix(only, { vector: query, topK: k, metric }, never));
          const got = drive(
            scanMatrix(sliced, { vector: query, topK: k, metric, predicate }, always),
          );
          expect(named(sliced, got.value)).toEqual(named(only, expected.value));
          expect(got.value).toHaveLength(Math.min(k, matching.length));
        }
      },
    );
  });

  it('stays exact after deletes move rows between chunks', () => {
    const sliced = matrixOf(rows, 7);
    const kept = rows.filter((_, i) => i % 3 !== 1);
    for (let i = 1; i < rows.length; i += 3) sliced.remove(`r${i}`);
    const whole = new TenantMatrix(DIMENSION, rows.length);
    rows.forEach((r, i) => {
      if (i % 3 !== 1) whole.put(r.id, OWNER, r.values, r.metadata, 10, seqOf(i));
    });
    expect(sliced.count).toBe(kept.length);
    const q: ScanQuery = { vector: rows[5]!.values, topK: 50, metric: 'euclidean' };
    expect(named(sliced, drive(scanMatrix(sliced, q, always)).value)).toEqual(
      named(whole, drive(scanMatrix(whole, q, never)).value),
    );
  });
});
