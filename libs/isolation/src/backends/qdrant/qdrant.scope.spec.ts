import { namespaceCondition, scopedFilter, tenantCondition, tenantFilter } from './qdrant.scope';

const UID = '0123456789abcdef0123456789abcdef';
const TENANT = { key: '_vg_tenant', match: { value: UID } };
const DEFAULT = {
  should: [{ key: '_vg_ns', match: { value: '' } }, { is_empty: { key: '_vg_ns' } }],
};

describe('Qdrant scope conditions', () => {
  it('keep the tenant and namespace conditions their own must elements, before the caller filter', () => {
    const user = { key: 'metadata.a', match: { value: 'x' } };
    expect(scopedFilter({ tenantUid: UID, namespace: 'docs' }, user)).toEqual({
      must: [TENANT, { key: '_vg_ns', match: { value: 'docs' } }, user],
    });
    expect(scopedFilter({ tenantUid: UID, namespace: '' })).toEqual({ must: [TENANT, DEFAULT] });
    expect(() => tenantCondition('')).toThrow(/tenant uid/);
  });

  it('let the default namespace hold points written before namespaces (no _vg_ns), and no other', () => {
    expect(namespaceCondition('')).toEqual(DEFAULT);
    // Any other name matches its stored value only: a point without _vg_ns is never in it.
    for (const name of ['default', 'docs', UID]) {
      expect(namespaceCondition(name)).toEqual({ key: '_vg_ns', match: { value: name } });
    }
  });

  it('erase by the tenant condition alone, so every namespace goes', () => {
    expect(tenantFilter(UID)).toEqual({ must: [TENANT] });
    expect(() => tenantFilter('')).toThrow(/tenant uid/);
  });
});
