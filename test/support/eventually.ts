/** Polls until `check` holds and returns how long it took; throws after `ms`. */
export async function eventually(
  ms: number,
  check: () => Promise<boolean>,
  everyMs = 50,
): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < ms) {
    if (await check()) return Date.now() - started;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`not within ${ms} ms`);
}
