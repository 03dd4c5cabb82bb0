import { AsyncResource } from 'node:async_hooks';

type Bindable = (this: unknown, ...args: unknown[]) => unknown;

const LEAN = Symbol.for('vecgate.leanAsyncResourceBind');

/**
 * `AsyncResource#bind` on Node 20 attaches a deprecated `asyncResource` property (DEP0172)
 * to every function it binds, built from two `util.deprecate` wrappers whose prototypes are
 * re-set. That costs about 10 µs per call, and Fastify's body parser and Nest's interceptor
 * chain call it three times per request. Node 24 stopped re-setting those prototypes and
 * later Node versions drop the property (nodejs/node#46432, #58218). This replaces the method
 * with the same binding without the deprecated property: the bound function still runs in
 * the resource's async scope, with the caller's `this` unless one was given, and keeps the
 * length of the function it wraps. Installing it twice is harmless.
 */
export function installLeanAsyncResourceBind(): void {
  const prototype = AsyncResource.prototype as AsyncResource & { [LEAN]?: true };
  if (prototype[LEAN]) return;
  Object.defineProperty(prototype, 'bind', {
    configurable: true,
    writable: true,
    enumerable: false,
    value: function bind(this: AsyncResource, fn: Bindable, thisArg?: unknown): Bindable {
      return bindTo(this, fn, thisArg);
    },
  });
  Object.defineProperty(prototype, LEAN, { value: true });
}

function bindTo(resource: AsyncResource, fn: Bindable, thisArg: unknown): Bindable {
  if (typeof fn !== 'function') {
    throw new TypeError(`The "fn" argument must be of type function. Received ${typeof fn}`);
  }
  const bound =
    thisArg === undefined
      ? function (this: unknown, ...args: unknown[]): unknown {
          return resource.runInAsyncScope(fn, this, ...args);
        }
      : (...args: unknown[]): unknown => resource.runInAsyncScope(fn, thisArg, ...args);
  Object.defineProperty(bound, 'length', { configurable: true, value: fn.length });
  return bound;
}
