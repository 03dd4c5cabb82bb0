import { embeddedSandbox, provisionedTenant } from '../../../../test/support/embedded-sandbox';
import { BackendDrivers } from './backend-drivers';
import { RoutingVectorStore } from './routing-vector-store';
import { MigrationGate } from './migration-gate';
import { ScopeFence } from './scope-fence';

const BARE = { includeValues: false, includeMetadata: false } as const;

describe('RoutingVectorStore list', () => {
  const sandbox = embeddedSandbox('vg-routing-list-');

  it("lists through the placement's backend, and refuses once the tenant's erasure has begun", async () => {
    const backend = sandbox.open({ workers: 1 });
    const scope = await provisionedTenant(backend, 'partition_key', {
      dimension: 2,
      metric: 'dot',
    });
    const fence = new ScopeFence();
    const store = new RoutingVectorStore(new BackendDrivers([backend]), fence, new MigrationGate());
    await store.upsert(scope, [
      { id: 'b', values: Float32Array.of(1, 0) },
      { id: 'a', values: Float32Array.of(0, 1) },
    ]);
    const page = await store.list(scope, { limit: 1, ...BARE });
    expect(page.records).toEqual([{ id: 'a', tenantUid: scope.tenantUid, namespace: '' }]);
    const rest = await store.list(scope, { limit: 1, cursor: page.next, ...BARE });
    expect(rest.records.map((r) => r.id)).toEqual(['b']);

    await expect(fence.close(scope, 1000)).resolves.toBe(true);
    await expect(store.list(scope, { limit: 1, ...BARE })).rejects.toMatchObject({ status: 409 });
  });
});
