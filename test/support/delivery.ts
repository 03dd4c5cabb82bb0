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
