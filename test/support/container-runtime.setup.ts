import { getContainerRuntimeClient } from 'testcontainers';
import { CONTAINER_RUNTIME_ENV, RUNTIME_AVAILABLE } from './container-runtime';

const RUNTIME_PROBE_MS = 5_000;

/** Why no container can run here, or undefined when a runtime answers within the probe time. */
async function probe(): Promise<string | undefined> {
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

/** Jest global setup: probes once per run; the workers inherit the recorded answer. */
export default async function probeContainerRuntime(): Promise<void> {
  process.env[CONTAINER_RUNTIME_ENV] = (await probe()) ?? RUNTIME_AVAILABLE;
}
