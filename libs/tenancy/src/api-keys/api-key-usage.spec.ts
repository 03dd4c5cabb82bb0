import { TenantRegistryRepository } from '../registry/tenant-registry.repository';
import { countingTurns } from '../../../../test/support/turns';
import { API_KEY_USAGE_BATCH, ApiKeyUsage } from './api-key-usage';

describe('ApiKeyUsage', () => {
  function setup(fail = false) {
    const batches: Map<string, number>[] = [];
    const touch = jest.fn((uses: ReadonlyMap<string, number>) => {
      if (fail) return Promise.reject(new Error('registry away'));
      batches.push(new Map(uses));
      return Promise.resolve();
    });
    const usage = new ApiKeyUsage({ apiKeys: { touch } } as unknown as TenantRegistryRepository);
    return { usage, touch, batches, setFail: (f: boolean) => (fail = f) };
  }

  it('writes many uses of many keys as one batch holding each key’s latest use', async () => {
    const { usage, touch, batches } = setup();
    for (let i = 0; i < 1000; i++) usage.used(i % 2 === 0 ? 'a' : 'b', 100 + i);
    expect(touch).not.toHaveBeenCalled();
    await usage.flush();
    expect(touch).toHaveBeenCalledTimes(1);
    expect(batches[0]).toEqual(
      new Map([
        ['a', 1098],
        ['b', 1099],
      ]),
    );
    // Nothing new: no write.
    await usage.flush();
    expect(touch).toHaveBeenCalledTimes(1);
  });

  it('keeps the uses for the next flush when the registry is away, without losing newer ones', async () => {
    const { usage, batches, setFail } = setup(true);
    usage.used('a', 100);
    await usage.flush();
    usage.used('b', 200);
    setFail(false);
    await usage.flush();
    expect(batches).toEqual([
      new Map([
        ['a', 100],
        ['b', 200],
      ]),
    ]);
  });

  it('writes many keys in batches of API_KEY_USAGE_BATCH, each in a turn of the event loop of its own', async () => {
    const { usage, batches } = setup();
    const keys = API_KEY_USAGE_BATCH * 2 + 10;
    for (let i = 0; i < keys; i++) usage.used(`k${i}`, i);
    const turns = await countingTurns(async (turn) => {
      await usage.flush();
      return turn();
    });
    expect(batches.map((b) => b.size)).toEqual([API_KEY_USAGE_BATCH, API_KEY_USAGE_BATCH, 10]);
    expect(new Map(batches.flatMap((b) => [...b]))).toEqual(
      new Map(Array.from({ length: keys }, (_, i) => [`k${i}`, i])),
    );
    expect(turns).toBeGreaterThanOrEqual(2);
  });

  it('keeps the batches not written for the next flush when the registry goes away midway', async () => {
    const { usage, batches, setFail } = setup();
    const keys = API_KEY_USAGE_BATCH + 5;
    for (let i = 0; i < keys; i++) usage.used(`k${i}`, i);
    const flushing = usage.flush();
    setFail(true);
    await flushing;
    expect(batches.map((b) => b.size)).toEqual([API_KEY_USAGE_BATCH]);
    setFail(false);
    await usage.flush();
    expect(batches.map((b) => b.size)).toEqual([API_KEY_USAGE_BATCH, 5]);
  });

  it('writes what it gathered when the application shuts down', async () => {
    const { usage, batches } = setup();
    usage.onModuleInit();
    usage.used('a', 5);
    await usage.onApplicationShutdown();
    expect(batches).toEqual([new Map([['a', 5]])]);
  });
});
