import type { ClientConfig, MilvusClient } from '@zilliz/milvus2-sdk-node';
import { MilvusOptions } from './milvus.options';
import { checkStatus, isNotFound, MilvusStatus, thrownError } from './milvus.errors';

/**
 * The one client of the process. Choices, each checked in the SDK 3.0.6 sources:
 * - `__SKIP_CONNECT__`: the constructor's `Connect` call stores its promise, and every
 *   database call (`createDatabase`, `listDatabases`, `dropDatabase`) awaits it through
 *   `checkCompatibility`; a Milvus still starting when vecgate starts would reject it for
 *   good (and as an unhandled rejection). Calls work without it; `Connect` only registers
 *   client information.
 * - `isGlobal: false`: an address containing "global-cluster" would otherwise switch the
 *   client to topology discovery and failover to other endpoints.
 * - `telemetry.enabled: false`: no background heartbeat with collection names.
 * - no `database`: the `dbname` header stays `default`; every request names its `db_name`
 *   and the client's database is never switched (`use()` is never called).
 * - `logLevel: 'warn'`: the SDK logs every request and answer, records and filter values
 *   included, at `debug`, its default level whenever `NODE_ENV` is `test` or `debug`.
 * - `grpc.use_local_subchannel_pool`: grpc-js otherwise shares connections between every
 *   client of the process with the same address, and a client made after a server at that
 *   address went away inherited its failed connection and its reconnect back-off (up to two
 *   minutes): its calls failed with "No connection established" against a live server.
 */
export function createMilvusClient(options: MilvusOptions): MilvusClient {
  const sdk = loadSdk();
  const tls = options.tls;
  const config: ClientConfig = {
    address: options.address,
    timeout: options.timeoutMs,
    maxRetries: options.maxRetries,
    isGlobal: false,
    telemetry: { enabled: false },
    logLevel: 'warn',
    __SKIP_CONNECT__: true,
    channelOptions: { 'grpc.use_local_subchannel_pool': 1 },
    ...(options.token ? { token: options.token } : {}),
    ...(tls?.enabled
      ? {
          ssl: true,
          tls: {
            ...(tls.rootCertPath ? { rootCertPath: tls.rootCertPath } : {}),
            ...(tls.certChainPath ? { certChainPath: tls.certChainPath } : {}),
            ...(tls.privateKeyPath ? { privateKeyPath: tls.privateKeyPath } : {}),
            ...(tls.serverName ? { serverName: tls.serverName } : {}),
          },
        }
      : {}),
  };
  return new sdk.MilvusClient(config);
}

/**
 * The SDK is loaded when a Milvus backend is made, not when the isolation library is
 * imported: its index also loads the bulk writer (parquet, thrift, an ES-module-only
 * `uuid`), which costs about half a second and which Jest's CommonJS runtime cannot load, so
 * processes and test suites that never enable Milvus do not pay for it.
 */
function loadSdk(): typeof import('@zilliz/milvus2-sdk-node') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- deliberate lazy load, see above
  return require('@zilliz/milvus2-sdk-node') as typeof import('@zilliz/milvus2-sdk-node');
}

async function invoke<T>(operation: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw thrownError(operation, err);
  }
}

/** Runs a call whose answer carries a `status`, and throws unless it is a success. */
export async function answer<T>(operation: string, call: () => Promise<T>): Promise<T> {
  const result = await invoke(operation, call);
  checkStatus(operation, (result as { status?: MilvusStatus } | undefined)?.status);
  return result;
}

/** Runs a call whose answer is a bare status, and throws unless it is a success. */
export async function done(operation: string, call: () => Promise<MilvusStatus>): Promise<void> {
  checkStatus(operation, await invoke(operation, call));
}

/**
 * Like `done`, for removals: "not found" means already gone (erasure is idempotent), and
 * answers false; any other failure throws.
 */
export async function removed(
  operation: string,
  call: () => Promise<MilvusStatus>,
): Promise<boolean> {
  const status = await invoke(operation, call);
  if (status && typeof status === 'object' && isNotFound(status)) return false;
  checkStatus(operation, status);
  return true;
}

/**
 * Like `answer`, for lookups: "not found" answers undefined; any other failure throws, so
 * an unreachable server is never mistaken for a missing place.
 */
export async function found<T>(operation: string, call: () => Promise<T>): Promise<T | undefined> {
  const result = await invoke(operation, call);
  const status = (result as { status?: MilvusStatus } | undefined)?.status;
  if (status && isNotFound(status)) return undefined;
  checkStatus(operation, status);
  return result;
}
