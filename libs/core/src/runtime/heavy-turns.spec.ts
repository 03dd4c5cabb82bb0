import { countingTurns } from '../../../../test/support/turns';
import { heavyTurn } from './heavy-turns';

describe('heavyTurn', () => {
  it('runs one slice per turn of the event loop, in the order asked', async () => {
    const order: number[] = [];
    const turns = await countingTurns((turn) =>
      Promise.all([1, 2, 3, 4].map((n) => heavyTurn().then(() => (order.push(n), turn())))),
    );
    expect(order).toEqual([1, 2, 3, 4]);
    expect(new Set(turns).size).toBe(4);
  });

  it('is needed: plain immediates queued together all run in one turn', async () => {
    const turns = await countingTurns((turn) =>
      Promise.all(
        [1, 2, 3, 4].map(
          () => new Promise<number>((resolve) => setImmediate(() => resolve(turn()))),
        ),
      ),
    );
    expect(new Set(turns).size).toBe(1);
  });
});
