import { toScore } from '../../ports/backend-rules';
import {
  comparableKeys,
  fromPoint,
  payloadSelector,
  toPoint,
  QDRANT_SCORES,
  vectorsConfig,
  vectorSelector,
} from './qdrant.payload';

const UID = '0123456789abcdef0123456789abcdef';
const ALL = { includeValues: true, includeMetadata: true } as const;

describe('Qdrant points', () => {
  it('list as comparable the metadata keys holding a string, number, boolean or array', () => {
    expect(comparableKeys({ s: 'x', n: 0, b: false, a: [], z: null, o: { k: 1 }, e: '' })).toEqual([
      's',
      'n',
      'b',
      'a',
      'e',
    ]);
    expect(comparableKeys(undefined)).toEqual([]);
  });

  it('keep a raw copy of cosine vectors only, since Qdrant normalises cosine ones', () => {
    expect(vectorsConfig(4, 'cosine')).toEqual({
      v: { size: 4, distance: 'Cosine' },
      v_raw: { size: 4, distance: 'Dot', on_disk: true, hnsw_config: { m: 0 } },
    });
    expect(vectorsConfig(4, 'euclidean')).toEqual({ v: { size: 4, distance: 'Euclid' } });
    const record = { id: 'r', values: Float32Array.from([0.1, 2]), metadata: { a: 1 } };
    const scope = (metric: 'cosine' | 'dot', namespace = '') => ({
      tenantUid: UID,
      namespace,
      space: { dimension: 2, metric },
    });
    expect(toPoint(scope('cosine'), 'pid', record).vector).toEqual({
      v: [Math.fround(0.1), 2],
      v_raw: [Math.fround(0.1), 2],
    });
    expect(toPoint(scope('dot', 'docs'), 'pid', record)).toEqual({
      id: 'pid',
      vector: { v: [Math.fround(0.1), 2] },
      payload: {
        _vg_tenant: UID,
        _vg_ns: 'docs',
        _vg_id: 'r',
        _vg_keys: ['a'],
        metadata: { a: 1 },
      },
    });
    expect(toPoint(scope('dot'), 'pid', record).payload).toMatchObject({ _vg_ns: '' });
  });

  it('read back the stored tenant uid, namespace and id, never anything from the scope', () => {
    const point = {
      id: 'c0ffee00-0000-5000-8000-000000000000',
      payload: { _vg_tenant: 'someone-else', _vg_ns: 'docs', _vg_id: 'doc', metadata: { k: 'v' } },
      vector: { v: [0.6, 0.8], v_raw: [3, 4] },
    };
    expect(fromPoint(point, ALL, 'cosine')).toEqual({
      id: 'doc',
      tenantUid: 'someone-else',
      namespace: 'docs',
      values: Float32Array.from([3, 4]),
      metadata: { k: 'v' },
    });
    expect(fromPoint(point, ALL, 'dot').values).toEqual(Float32Array.from([0.6, 0.8]));
    // A point without _vg_ns (written before namespaces) is the default namespace's.
    expect(fromPoint({ id: 7, payload: {} }, ALL, 'dot')).toEqual({
      id: '7',
      tenantUid: '',
      namespace: '',
      metadata: {},
    });
    expect(fromPoint(point, { includeValues: false, includeMetadata: false }, 'cosine')).toEqual({
      id: 'doc',
      tenantUid: 'someone-else',
      namespace: 'docs',
    });
  });

  it('ask only for what a read returns, and score higher-is-more-similar', () => {
    expect(payloadSelector({ includeValues: false, includeMetadata: false })).toEqual([
      '_vg_tenant',
      '_vg_ns',
      '_vg_id',
    ]);
    expect(payloadSelector(ALL)).toEqual(['_vg_tenant', '_vg_ns', '_vg_id', 'metadata']);
    expect(vectorSelector(ALL, 'cosine')).toEqual(['v_raw']);
    expect(vectorSelector(ALL, 'euclidean')).toEqual(['v']);
    expect(vectorSelector({ includeValues: false, includeMetadata: true }, 'dot')).toBe(false);
    expect(toScore(QDRANT_SCORES, 'euclidean', 2.5)).toBe(-2.5);
    expect(toScore(QDRANT_SCORES, 'cosine', 0.5)).toBe(0.5);
    expect(toScore(QDRANT_SCORES, 'dot', -3)).toBe(-3);
  });
});
