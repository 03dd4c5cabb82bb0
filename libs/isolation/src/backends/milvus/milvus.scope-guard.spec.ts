import { EVERY_NAMESPACE, scopedFilter, tenantWideFilter, userFilter } from './milvus.scope';
import { assertScoped, ExpectedScope, ScopedRequest } from './milvus.scope-guard';

const UID = '0123456789abcdef0123456789abcdef';
const OTHER = 'fedcba9876543210fedcba9876543210';
const PARTITION = `vg_t_${UID}`;

const SCOPE = { tenantUid: UID, namespace: '' };

function request(filter = userFilter(SCOPE, { op: '$eq', field: 'a', value: 'x' })) {
  return { filter: filter.expr, exprValues: filter.values };
}

/** `assertScoped` for the default namespace of UID (or another uid), with a partition or none. */
function check(req: ScopedRequest, uid: string, partition: string | undefined): void {
  assertScoped(req, { tenantUid: uid, namespace: '', partition });
}

describe('assertScoped', () => {
  it('lets through a request scoped to the tenant, with its own partition when it has one', () => {
    expect(() => check(request(), UID, undefined)).not.toThrow();
    expect(() => check(request(scopedFilter(SCOPE)), UID, undefined)).not.toThrow();
    expect(() =>
      check({ ...request(), partition_names: [PARTITION] }, UID, PARTITION),
    ).not.toThrow();
    expect(() => check({ ...request(), partition_name: PARTITION }, UID, PARTITION)).not.toThrow();
  });

  it('refuses a missing, empty or foreign tenant value', () => {
    const { filter, exprValues } = request();
    const { vg_tenant: _dropped, ...withoutTenant } = exprValues;
    for (const values of [
      withoutTenant,
      { ...exprValues, vg_tenant: '' },
      { ...exprValues, vg_tenant: OTHER },
    ]) {
      expect(() => check({ filter, exprValues: values }, UID, undefined)).toThrow(
        /tenant template value/,
      );
    }
    expect(() => check(request(), '', undefined)).toThrow(/32 hex/);
  });

  it('refuses a filter without the tenant clause first, or one an || could widen', () => {
    const { exprValues } = request();
    for (const filter of [
      '',
      'json_contains(_vg_filter["keys"], {p0})',
      '(_vg_tenant != {vg_tenant})',
      '(_vg_tenant == {vg_tenant})',
      '(_vg_tenant == {vg_tenant}) && (_vg_ns == {vg_ns})',
      '(_vg_tenant == {vg_tenant} && _vg_ns == {vg_ns}) || (true)',
      '(_vg_tenant == {vg_tenant} && _vg_ns == {vg_ns}) && (a) || (b)',
      '(_vg_tenant == {vg_tenant} && _vg_ns == {vg_ns}) && (a',
      '(_vg_tenant == {vg_tenant} && _vg_ns == {vg_ns}) && ("(" || b)) || (c)',
    ]) {
      expect(() => check({ filter, exprValues }, UID, undefined)).toThrow(/tenant condition/);
    }
  });

  it('refuses a partition request with no, an empty, another or several partitions', () => {
    for (const names of [undefined, [], [''], [`vg_t_${OTHER}`], [PARTITION, `vg_t_${OTHER}`]]) {
      expect(() =>
        check({ ...request(), ...(names ? { partition_names: names } : {}) }, UID, PARTITION),
      ).toThrow(/partition/);
    }
    expect(() =>
      check({ ...request(), partition_names: [`vg_t_${OTHER}`] }, UID, `vg_t_${OTHER}`),
    ).toThrow(/not the tenant's own/);
    expect(() => check({ ...request(), partition_names: [PARTITION] }, UID, undefined)).toThrow(
      /unexpected partition/,
    );
  });

  it('refuses a missing, empty or other namespace value, and a tenant-wide request outside erasure', () => {
    const { filter, exprValues } = request();
    const { vg_ns: _dropped, ...withoutNamespace } = exprValues;
    for (const values of [withoutNamespace, { ...exprValues, vg_ns: 'docs' }]) {
      expect(() => check({ filter, exprValues: values }, UID, undefined)).toThrow(
        /namespace template value/,
      );
    }
    const docs: ExpectedScope = { tenantUid: UID, namespace: 'docs', partition: undefined };
    expect(() => assertScoped(request(), docs)).toThrow(/namespace template value/);
    const wide = tenantWideFilter(UID);
    expect(() => check({ filter: wide.expr, exprValues: wide.values }, UID, undefined)).toThrow(
      /namespace template value/,
    );
    expect(() =>
      assertScoped(request(), { tenantUid: UID, namespace: '_bad', partition: undefined }),
    ).toThrow(/namespace/);
  });

  it('lets an erasure through with the tenant clause alone, and nothing else tenant-wide', () => {
    const every: ExpectedScope = {
      tenantUid: UID,
      namespace: EVERY_NAMESPACE,
      partition: undefined,
    };
    const wide = tenantWideFilter(UID);
    expect(() => assertScoped({ filter: wide.expr, exprValues: wide.values }, every)).not.toThrow();
    expect(() => assertScoped(request(), every)).toThrow(/namespace value/);
    const { vg_ns: _dropped, ...values } = request().exprValues;
    expect(() => assertScoped({ filter: request().filter, exprValues: values }, every)).toThrow(
      /tenant condition/,
    );
  });
});
