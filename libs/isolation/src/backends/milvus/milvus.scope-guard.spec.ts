import { tenantScoped, userFilter } from './milvus.filter';
import { assertScoped } from './milvus.scope-guard';

const UID = '0123456789abcdef0123456789abcdef';
const OTHER = 'fedcba9876543210fedcba9876543210';
const PARTITION = `vg_t_${UID}`;

function request(filter = userFilter(UID, { op: '$eq', field: 'a', value: 'x' })) {
  return { filter: filter.expr, exprValues: filter.values };
}

describe('assertScoped', () => {
  it('lets through a request scoped to the tenant, with its own partition when it has one', () => {
    expect(() => assertScoped(request(), UID, undefined)).not.toThrow();
    expect(() => assertScoped(request(tenantScoped(UID)), UID, undefined)).not.toThrow();
    expect(() =>
      assertScoped({ ...request(), partition_names: [PARTITION] }, UID, PARTITION),
    ).not.toThrow();
    expect(() =>
      assertScoped({ ...request(), partition_name: PARTITION }, UID, PARTITION),
    ).not.toThrow();
  });

  it('refuses a missing, empty or foreign tenant value', () => {
    const { filter, exprValues } = request();
    const { vg_tenant: _dropped, ...withoutTenant } = exprValues;
    for (const values of [
      withoutTenant,
      { ...exprValues, vg_tenant: '' },
      { ...exprValues, vg_tenant: OTHER },
    ]) {
      expect(() => assertScoped({ filter, exprValues: values }, UID, undefined)).toThrow(
        /tenant template value/,
      );
    }
    expect(() => assertScoped(request(), '', undefined)).toThrow(/32 hex/);
  });

  it('refuses a filter without the tenant clause first, or one an || could widen', () => {
    const { exprValues } = request();
    for (const filter of [
      '',
      'json_contains(_vg_filter["keys"], {p0})',
      '(_vg_tenant != {vg_tenant})',
      '(_vg_tenant == {vg_tenant}) || (true)',
      '(_vg_tenant == {vg_tenant}) && (a) || (b)',
      '(_vg_tenant == {vg_tenant}) && (a',
      '(_vg_tenant == {vg_tenant}) && ("(" || b)) || (c)',
    ]) {
      expect(() => assertScoped({ filter, exprValues }, UID, undefined)).toThrow(
        /tenant condition/,
      );
    }
  });

  it('refuses a partition request with no, an empty, another or several partitions', () => {
    for (const names of [undefined, [], [''], [`vg_t_${OTHER}`], [PARTITION, `vg_t_${OTHER}`]]) {
      expect(() =>
        assertScoped(
          { ...request(), ...(names ? { partition_names: names } : {}) },
          UID,
          PARTITION,
        ),
      ).toThrow(/partition/);
    }
    expect(() =>
      assertScoped({ ...request(), partition_names: [`vg_t_${OTHER}`] }, UID, `vg_t_${OTHER}`),
    ).toThrow(/not the tenant's own/);
    expect(() =>
      assertScoped({ ...request(), partition_names: [PARTITION] }, UID, undefined),
    ).toThrow(/unexpected partition/);
  });
});
