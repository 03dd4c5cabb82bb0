import { makeTenantScope, Placement, VectorSpace } from '../../ports/vector.types';
import { locate, locationOf } from './pgvector.naming';

const UID_A = 'a'.repeat(32);
const UID_B = 'b'.repeat(32);
const SPACE: VectorSpace = { dimension: 8, metric: 'cosine' };

function scope(placement: Placement, uid = UID_A, space = SPACE) {
  return makeTenantScope({ tenantId: 'acme', tenantUid: uid, placement, space });
}

describe('pgvector physical names', () => {
  it('derives one name per tenant and strategy, and one shared table per vector space', () => {
    expect(locate('collection', UID_A, SPACE)).toEqual({
      strategy: 'collection',
      table: `vg_t_${UID_A}`,
    });
    expect(locate('partition', UID_A, SPACE)).toEqual({
      strategy: 'partition',
      table: `vg_p_${UID_A}`,
      parent: 'vg_part_8_cosine',
    });
    expect(locate('partition_key', UID_A, { dimension: 1536, metric: 'dot' })).toEqual({
      strategy: 'partition_key',
      table: 'vg_shared_1536_dot',
    });
  });

  it('never turns a uid that is not 32 hex characters into a table name', () => {
    for (const uid of ['', 'A'.repeat(32), `${'a'.repeat(31)};`, `x; DROP TABLE t; --`]) {
      expect(() => locate('collection', uid, SPACE)).toThrow('tenant uid must be 32 hex');
    }
  });

  it("refuses a placement naming another tenant's table", () => {
    const own = {
      backend: 'pgvector',
      strategy: 'collection',
      location: { table: `vg_t_${UID_A}` },
    } as const;
    expect(locationOf(scope(own)).table).toBe(`vg_t_${UID_A}`);
    expect(() => locationOf(scope(own, UID_B))).toThrow('does not match');
  });

  it('refuses a tampered, extended or foreign placement', () => {
    const tampered: Placement[] = [
      { backend: 'pgvector', strategy: 'partition_key', location: { table: 'vg_shared_8_dot' } },
      { backend: 'pgvector', strategy: 'partition_key', location: { table: 'pg_authid' } },
      {
        backend: 'pgvector',
        strategy: 'partition',
        location: { table: `vg_p_${UID_A}`, parent: 'vg_part_8_cosine', extra: 'x' },
      },
      { backend: 'milvus', strategy: 'collection', location: { table: `vg_t_${UID_A}` } },
    ];
    for (const placement of tampered) expect(() => locationOf(scope(placement))).toThrow();
  });
});
