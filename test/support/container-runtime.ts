import { getContainerRuntimeClient } from 'testcontainers';

const RUNTIME_PROBE_MS = 5_000;

/** Why no container can run here, or undefined when one can. */
export async function noContainerRuntime(): Promise<string | undefined> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      getContainerRuntimeClient(),
      new Promise((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`no answer within ${RUNTIME_PROBE_MS} ms`)),
          RUNTIME_PROBE_MS,
        );
      }),
    ]);
    return undefined;
  } catch (err) {
    return `no container runtime for testcontainers (${(err as Error).message})`;
  } finally {
    clearTimeout(timer);
  }
}
