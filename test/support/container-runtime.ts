/**
 * Whether containers can run in this test run. The Jest global setup
 * (`container-runtime.setup.ts`) asks testcontainers once and records the answer in the
 * environment the test workers inherit; suites read it synchronously, so they register as
 * `describe` or `describe.skip` and the report says "skipped" with the reason.
 */
export const CONTAINER_RUNTIME_ENV = 'VECGATE_TEST_CONTAINER_RUNTIME';
export const RUNTIME_AVAILABLE = 'available';

/** Why no container can run here, or undefined when one can. */
export function noContainerRuntime(): string | undefined {
  const recorded = process.env[CONTAINER_RUNTIME_ENV];
  if (recorded === RUNTIME_AVAILABLE) return undefined;
  return recorded || 'the container runtime was not probed (run Jest with jest.config.js)';
}

/**
 * `describe` when `reason` is undefined, else `describe.skip` with the reason printed. Straight
 * to stderr: Jest's reporter drops the console output of a file whose tests were all skipped,
 * and the reason must reach the CI log.
 */
export function describeUnless(reason: string | undefined, what: string): jest.Describe {
  if (reason === undefined) return describe;
  process.stderr.write(`\nSKIPPED ${what}: ${reason}\n`);
  return describe.skip;
}
