/**
 * Pipelined answers are handed to the socket in order: the trails of those that reached it
 * say 200 alone and come first; every later one says 499, after its 200 if it had one.
 */
export function expectDeliveredPrefix(trails: { status: number; reason?: string }[][]): void {
  const delivered = trails.findIndex((events) => events.some((e) => e.status === 499));
  expect(delivered).toBeGreaterThanOrEqual(0);
  trails
    .slice(0, delivered)
    .forEach((events) => expect(events.map((e) => e.status)).toEqual([200]));
  for (const events of trails.slice(delivered)) {
    const statuses = events.map((e) => e.status).sort();
    expect([[499], [200, 499]]).toContainEqual(statuses);
    const closed = events.find((e) => e.status === 499);
    expect(closed?.reason).toMatch(
      statuses.length === 2
        ? /^client_closed_request: the answer \(200\) was not delivered$/
        : /^client_closed_request$/,
    );
  }
  expect(trails[delivered]?.map((e) => e.status).sort()).toEqual([200, 499]);
}

/**
 * Reads the trails until the stalled answer's connection has been dropped (a 499 appears),
 * then once more after the other requests of that connection had time to be recorded. How
 * long that takes depends on the machine's load, so it is waited for, not assumed.
 */
export async function trailsAfterDrop<T extends { status: number }>(
  read: () => Promise<T[][]>,
  timeoutMs = 30_000,
): Promise<T[][]> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    await new Promise((r) => setTimeout(r, 1000));
    // The gateway is busy with the large answers: a read may fail until it is dropped.
    const trails = await read().catch(() => []);
    if (trails.some((events) => events.some((e) => e.status === 499))) break;
  }
  await new Promise((r) => setTimeout(r, 1500));
  return read();
}

/** Waits until `done` holds (polled every 50 ms), at most `timeoutMs`. */
export async function waitFor(done: () => boolean, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!done() && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
}
