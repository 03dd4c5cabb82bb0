/**
 * A turn of the event loop for one slice of heavy work on a large request body (its parse, the
 * walk for reserved keys, the conversion of its vectors), taken in line, one slice per turn.
 *
 * Each such slice already started in a turn of its own (`setImmediate`), so that the work of
 * one large body came in slices with the event loop's I/O between them. But immediates queued
 * in the same turn all run in that turn, back to back: sixteen maximal writes arriving together
 * held the loop for sixteen slices (1.4 to 1.7 s) before any other request was read. Taken
 * here, one slice runs per turn, in the order asked, and the I/O of every other request is
 * served between any two.
 */
const waiting: (() => void)[] = [];
let scheduled = false;

export function heavyTurn(): Promise<void> {
  return new Promise((resolve) => {
    waiting.push(resolve);
    if (!scheduled) {
      scheduled = true;
      setImmediate(nextSlice);
    }
  });
}

/** Lets the first in line run (in this turn's microtasks) and books the next turn for the rest. */
function nextSlice(): void {
  const run = waiting.shift();
  // Queued while immediates run, it runs in the next turn, after that turn's I/O.
  if (waiting.length > 0) setImmediate(nextSlice);
  else scheduled = false;
  run?.();
}
