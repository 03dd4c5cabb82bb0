import { MilvusBackend } from '@vecgate/isolation/backends/milvus/milvus.backend';
import { milvusOptions } from './fixtures';
import { MilvusStub } from './stub';

describe('Milvus wire: a server that went away and came back at the same address', () => {
  const stubs: MilvusStub[] = [];
  const backends: MilvusBackend[] = [];

  afterEach(async () => {
    for (const backend of backends.splice(0)) await backend.close();
    for (const stub of stubs.splice(0)) await stub.stop();
  });

  function backendAt(address: string): MilvusBackend {
    const backend = new MilvusBackend(milvusOptions(address, { timeoutMs: 2000 }));
    backends.push(backend);
    return backend;
  }

  it('is reached by a backend made afterwards, not through the failed connection of another', async () => {
    const first = new MilvusStub();
    stubs.push(first);
    const address = await first.start();
    const before = backendAt(address);
    expect((await before.health()).ok).toBe(true);
    await first.stop();
    // The old backend's connection fails and backs off before reconnecting.
    expect((await before.health()).ok).toBe(false);

    const second = new MilvusStub();
    stubs.push(second);
    await second.start(undefined, Number(address.split(':')[1]));
    expect(await backendAt(address).health()).toEqual({ ok: true });
  });
});
