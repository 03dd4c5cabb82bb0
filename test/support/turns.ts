/** Runs `work` while counting the turns of the event loop; `turn()` says which one it is. */
export async function countingTurns<T>(work: (turn: () => number) => Promise<T>): Promise<T> {
  let turns = 0;
  let counting = true;
  const count = (): void => {
    turns++;
    if (counting) setImmediate(count);
  };
  setImmediate(count);
  try {
    return await work(() => turns);
  } finally {
    counting = false;
  }
}
