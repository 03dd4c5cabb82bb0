import { TooManyRequestsError, UnavailableError } from '@vecgate/core';
import { BodyBudget, SMALL_BODY_BYTES } from './body-budget';

const MIB = 2 ** 20;

/** A refusal of this class with these extras (a matcher, in the place of the error). */
const refused = (type: new (...args: never[]) => Error, extras: object): Error =>
  expect.objectContaining({
    constructor: type,
    extras: expect.objectContaining(extras) as unknown,
  }) as Error;

describe('BodyBudget', () => {
  it('holds a tenant to a quarter of the budget, with 429, and gives room back once', () => {
    const budget = new BodyBudget(64 * MIB);
    const first = budget.admit('acme', 16 * MIB);
    expect(() => budget.admit('acme', 1)).toThrow(
      refused(TooManyRequestsError, { reason: 'body_budget', retryAfterSeconds: 1 }),
    );
    // Another tenant is not affected.
    const other = budget.admit('globex', 16 * MIB);
    first();
    first();
    expect(budget.inFlight).toBe(16 * MIB);
    budget.admit('acme', 16 * MIB)();
    other();
    expect(budget.inFlight).toBe(0);
  });

  it('refuses a large body past the budget with 503, and admits small ones from a reserve', () => {
    const budget = new BodyBudget(64 * MIB);
    const held = ['a', 'b', 'c', 'd'].map((owner) => budget.admit(owner, 16 * MIB));
    expect(() => budget.admit('e', SMALL_BODY_BYTES + 1)).toThrow(
      refused(UnavailableError, { reason: 'bodies_in_flight' }),
    );
    // Small bodies keep flowing, up to the reserve (an eighth of the budget).
    const small: (() => void)[] = [];
    for (let i = 0; i < (8 * MIB) / SMALL_BODY_BYTES; i++)
      small.push(budget.admit(`small-${i % 100}`, SMALL_BODY_BYTES));
    expect(() => budget.admit('f', SMALL_BODY_BYTES)).toThrow(UnavailableError);
    for (const release of [...held, ...small]) release();
    expect(budget.inFlight).toBe(0);
    budget.admit('e', 16 * MIB)();
  });
});
