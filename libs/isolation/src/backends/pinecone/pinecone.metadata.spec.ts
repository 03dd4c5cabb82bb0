import { BackendError, UnprocessableError } from '@vecgate/core';
import {
  canonicalNumber,
  decodeMetadata,
  encodeMetadata,
  MAX_METADATA_BYTES,
  storedNamespace,
  storedTenant,
} from './pinecone.metadata';

const UID = 'fedcba9876543210fedcba9876543210';

describe('Pinecone metadata encoding', () => {
  it('stores the tenant uid, the JSON and a typed projection of each comparable field', () => {
    const metadata = {
      s: 'x',
      n: 5,
      b: false,
      mixed: ['a', 2, -1.5, true, null, { deep: 1 }, ['nested'], 'a', 2],
      empty: [],
      nul: null,
      obj: { n: 1 },
    };
    expect(encodeMetadata(UID, metadata, 'r1', '')).toEqual({
      _vg_tenant: UID,
      _vg_md: JSON.stringify(metadata),
      _vg_has: ['s', 'n', 'b', 'mixed', 'empty'],
      _vg_s_s: ['x'],
      _vg_n_n: ['5'],
      _vg_lo_n: 5,
      _vg_hi_n: 5,
      _vg_b_b: ['false'],
      _vg_s_mixed: ['a'],
      _vg_n_mixed: ['2', '-1.5'],
      _vg_lo_mixed: -1.5,
      _vg_hi_mixed: 2,
      _vg_b_mixed: ['true'],
    });
  });

  it('writes only the tenant uid for a record without metadata', () => {
    expect(encodeMetadata(UID, undefined, 'r', '')).toEqual({ _vg_tenant: UID });
    expect(encodeMetadata(UID, {}, 'r', '')).toEqual({ _vg_tenant: UID, _vg_md: '{}' });
  });

  it('stores the namespace name outside the default namespace, and reads it back as stored', () => {
    expect(encodeMetadata(UID, undefined, 'r', 'docs')).toEqual({
      _vg_tenant: UID,
      _vg_ns: 'docs',
    });
    expect(encodeMetadata(UID, { a: 1 }, 'r', 'docs')).toMatchObject({
      _vg_tenant: UID,
      _vg_ns: 'docs',
      _vg_md: '{"a":1}',
    });
    expect(storedNamespace(encodeMetadata(UID, { a: 1 }, 'r', 'docs'))).toBe('docs');
    expect(storedNamespace(encodeMetadata(UID, { a: 1 }, 'r', ''))).toBe('');
    // As the previous release wrote records: no namespace field, so the default namespace.
    expect(storedNamespace({ _vg_tenant: UID, _vg_md: '{}' })).toBe('');
    // Anything but a string matches no scope's namespace (names never start with "_").
    expect(storedNamespace({ _vg_tenant: UID, _vg_ns: 5 })).toMatch(/^_/);
    expect(storedNamespace({ _vg_tenant: UID, _vg_ns: ['docs'] })).toMatch(/^_/);
  });

  it('reads metadata back exactly, and the stored uid as stored', () => {
    const metadata = { a: [1, 'b', null, { c: [true] }], d: null };
    const stored = encodeMetadata(UID, metadata, 'r', '');
    expect(decodeMetadata(stored, 'r')).toEqual(metadata);
    expect(storedTenant(stored)).toBe(UID);
    expect(storedTenant({ other: 'x' })).toBe('');
    expect(storedTenant(undefined)).toBe('');
    expect(decodeMetadata({ _vg_tenant: UID }, 'r')).toEqual({});
  });

  it('refuses stored metadata it cannot read instead of inventing some', () => {
    for (const bad of ['{not json', '[1,2]', 'null']) {
      expect(() => decodeMetadata({ _vg_md: bad }, 'r9')).toThrow(BackendError);
    }
    expect(() => decodeMetadata({ _vg_md: 5 }, 'r9')).toThrow(/r9/);
  });

  it("refuses metadata beyond Pinecone's 40 KB with a clear 422 naming the record", () => {
    const big = { text: 'q"'.repeat(11_000) };
    let err: unknown;
    try {
      encodeMetadata(UID, big, 'huge', '');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UnprocessableError);
    expect((err as Error).message).toContain('record "huge"');
    expect((err as Error).message).toContain(String(MAX_METADATA_BYTES));
  });

  it('spells every float64 one way', () => {
    expect(canonicalNumber(5)).toBe('5');
    expect(canonicalNumber(5.0)).toBe('5');
    expect(canonicalNumber(-0)).toBe('0');
    expect(canonicalNumber(0.1 + 0.2)).toBe('0.30000000000000004');
    expect(canonicalNumber(1e21)).toBe('1e+21');
  });
});
