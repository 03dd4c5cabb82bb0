import { AsyncLocalStorage, AsyncResource } from 'node:async_hooks';
import { installLeanAsyncResourceBind } from './async-resource-bind';

describe('lean AsyncResource#bind', () => {
  beforeAll(() => installLeanAsyncResourceBind());

  it('runs the bound function in the async context it was bound in', async () => {
    const storage = new AsyncLocalStorage<string>();
    const bound = storage.run('request-1', () => AsyncResource.bind(() => storage.getStore()));
    const seen = await storage.run('request-2', () => Promise.resolve().then(bound));
    expect(seen).toBe('request-1');
  });

  it("passes the caller's this and every argument, and returns the result", () => {
    const bound = AsyncResource.bind(function (this: unknown, a: number, b: number) {
      return { self: this, sum: a + b };
    });
    const self = { name: 'caller' };
    expect(bound.call(self, 2, 3)).toEqual({ self, sum: 5 });
  });

  it('uses the given thisArg over the caller’s', () => {
    const self = { name: 'given' };
    // Node's own signature takes thisArg; its type declarations leave it out.
    const withThis = new AsyncResource('test') as unknown as {
      bind(fn: () => unknown, thisArg: unknown): () => unknown;
    };
    const bound = withThis.bind(function (this: unknown) {
      return this;
    }, self);
    expect(bound.call({ name: 'caller' })).toBe(self);
  });

  it('keeps the wrapped function’s length and attaches no deprecated asyncResource property', () => {
    const bound = AsyncResource.bind((a: number, b: number) => a + b);
    expect(bound.length).toBe(2);
    expect(Object.keys(bound)).toEqual([]);
    expect('asyncResource' in bound).toBe(false);
  });

  it('refuses what is not a function', () => {
    const resource = new AsyncResource('test');
    // By name: under jest, the method may come from another test file's realm.
    expect(() => resource.bind(42 as unknown as () => void)).toThrow(
      expect.objectContaining({ name: 'TypeError' }),
    );
    expect(() => resource.bind(42 as unknown as () => void)).toThrow(/must be of type function/);
  });
});
