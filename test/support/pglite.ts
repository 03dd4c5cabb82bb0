import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { Client } from 'pg';
import { PGVECTOR_DEFAULT_LIMITS, PGVECTOR_DEFAULTS, PgvectorOptions } from '@vecgate/isolation';

const SCRIPT = join(__dirname, 'pglite-server.ts');

/** The role pglite-server.ts creates for the data plane (`SET LOCAL ROLE`). */
export const PGLITE_DATA_ROLE = 'vg_data';

export interface LivePglite {
  /** `postgres://` URL of the one connection PGlite serves. */
  readonly url: string;
  stop(): Promise<void>;
}

/**
 * Starts PGlite with pgvector in a child process (it blocks the event loop of the process
 * that runs it) and waits for the port it prints. Stopped with SIGTERM; it also stops when
 * this process goes away, because its stdin closes. `connections`: see pglite-server.ts.
 */
export function startPglite(timeoutMs = 60_000, connections = 1): Promise<LivePglite> {
  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', 'tsx', SCRIPT, '0', PGLITE_DATA_ROLE, String(connections)],
    {
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  );
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`PGlite did not start within ${timeoutMs} ms: ${err}`));
    }, timeoutMs);
    child.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`PGlite exited with ${code}: ${err}`));
    });
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const port = /PGLITE_PORT=(\d+)/.exec(out)?.[1];
      if (port === undefined) return;
      clearTimeout(timer);
      child.removeAllListeners('exit');
      resolve({
        url: `postgres://postgres@127.0.0.1:${port}/postgres`,
        stop: () => stopChild(child),
      });
    });
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/**
 * A raw client on PGlite's one connection. The socket server turns a new connection away
 * while it still holds the previous one, so this retries for a moment after a pool closed.
 */
export async function connectPglite(url: string, attempts = 50): Promise<Client> {
  for (let attempt = 1; ; attempt++) {
    const client = new Client({ connectionString: url });
    try {
      await client.connect();
      return client;
    } catch (err) {
      await client.end().catch(() => undefined);
      if (attempt >= attempts) throw err;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

/**
 * Waits until PGlite has let go of the previous connection, before a pool (which does not
 * retry) takes the next: one raw connection is let in and closed, then a moment passes for
 * the server to see that close too.
 */
export async function pgliteReleased(url: string): Promise<void> {
  await (await connectPglite(url)).end();
  await new Promise((resolve) => setTimeout(resolve, 100));
}

/**
 * The pgvector options for PGlite: its one connection, and the data plane switching to the
 * non-owner role in each transaction (PGlite runs every login as its superuser).
 */
export function pgliteOptions(
  url: string,
  overrides: Partial<PgvectorOptions> = {},
): PgvectorOptions {
  return {
    url,
    poolSize: 1,
    dataRole: PGLITE_DATA_ROLE,
    timeoutMs: 30_000,
    efSearch: PGVECTOR_DEFAULTS.efSearch,
    limits: PGVECTOR_DEFAULT_LIMITS,
    ...overrides,
  };
}
