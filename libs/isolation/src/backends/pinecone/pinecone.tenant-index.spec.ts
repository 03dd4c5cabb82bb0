import type { Index } from '@pinecone-database/pinecone';
import { BadRequestError } from '@vecgate/core';
import { TenantIndex } from './pinecone.tenant-index';

const UID = '00112233445566778899aabbccddeeff';
const OTHER = 'ffeeddccbbaa99887766554433221100';

/** An index handle that records what it was asked and answers fixed statistics. */
function handle(namespaces: Record<string, { recordCount: number }>) {
  const calls: unknown[] = [];
  const fake = {
    deleteAll: (options: unknown) => {
      calls.push(options);
      return Promise.resolve();
    },
    describeIndexStats: () => Promise.resolve({ namespaces, dimension: 4 }),
  };
  return { calls, index: fake as unknown as Index };
}

describe('TenantIndex (one tenant namespace of an index)', () => {
  it("names the Pinecone namespace of the tenant's namespace, and refuses names outside the alphabet", () => {
    const { index } = handle({});
    expect(new TenantIndex(index, UID, '', 'idx').namespace).toBe(`vg-${UID}`);
    expect(new TenantIndex(index, UID, 'docs', 'idx').place).toBe(`idx/vg-${UID}~docs`);
    expect(() => new TenantIndex(index, UID, '__default__', 'idx')).toThrow(BadRequestError);
    expect(() => new TenantIndex(index, 'nope', 'docs', 'idx')).toThrow(/32 hex/);
  });

  it("lists only the tenant's own Pinecone namespaces from the index statistics", async () => {
    const { index } = handle({
      [`vg-${UID}`]: { recordCount: 2 },
      [`vg-${UID}~docs`]: { recordCount: 3 },
      [`vg-${UID}x`]: { recordCount: 5 },
      [`vg-${UID}~`]: { recordCount: 7 },
      [`vg-${OTHER}~docs`]: { recordCount: 11 },
      '': { recordCount: 13 },
    });
    const own = await new TenantIndex(index, UID, 'notes', 'idx').tenantNamespaces();
    expect([...own]).toEqual([
      [`vg-${UID}`, 2],
      [`vg-${UID}~docs`, 3],
    ]);
  });

  it("never empties a Pinecone namespace that is not the tenant's", async () => {
    const { calls, index } = handle({});
    const place = new TenantIndex(index, UID, '', 'idx');
    for (const name of [`vg-${OTHER}`, `vg-${OTHER}~docs`, `vg-${UID}x`, '', '__default__']) {
      await expect(place.clear(name)).rejects.toThrow(/not the tenant's/);
    }
    expect(calls).toEqual([]);
    await place.clear(`vg-${UID}~docs`);
    expect(calls).toEqual([{ namespace: `vg-${UID}~docs` }]);
  });
});
