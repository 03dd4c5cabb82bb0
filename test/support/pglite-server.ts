/**
 * PGlite (PostgreSQL compiled to WebAssembly, with the pgvector extension) served over the
 * PostgreSQL wire protocol on 127.0.0.1, for tests and the leak hunt.
 *
 * PGlite blocks the event loop of the process that runs it, so it runs here, in a process of
 * its own: `tsx test/support/pglite-server.ts [port] [data role] [connections]` prints
 * `PGLITE_PORT=<port>` once it listens and stops on SIGTERM, SIGINT or when its parent closes
 * stdin. One connection by default: PGlite is one PostgreSQL session behind every socket
 * connection. The socket server runs one connection's messages at a time and, while a
 * transaction is open, only that connection's, so several connections whose every statement
 * runs in a transaction (the pgvector data plane: `SET LOCAL ROLE`) may share it: two gateway
 * replicas on one pgvector server.
 *
 * Before listening it creates the pgvector extension and the role the data plane switches to
 * with `SET LOCAL ROLE` (PGlite ignores the login user: everyone is its superuser).
 */
import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

async function main(): Promise<void> {
  const port = Number(process.argv[2] ?? 0);
  // The non-owner role, without BYPASSRLS, that data-plane transactions run as.
  const dataRole = process.argv[3] ?? 'vg_data';
  if (!/^[a-z_][a-z0-9_]*$/.test(dataRole)) throw new Error(`invalid role name ${dataRole}`);
  const db = await PGlite.create({ extensions: { vector } });
  await db.exec(`CREATE EXTENSION IF NOT EXISTS vector;
    CREATE ROLE ${dataRole} NOLOGIN NOSUPERUSER NOBYPASSRLS;`);
  const maxConnections = Number(process.argv[4] ?? 1);
  const server = new PGLiteSocketServer({ db, port, host: '127.0.0.1', maxConnections });
  await server.start();
  const conn = server.getServerConn();
  process.stdout.write(`PGLITE_PORT=${conn.slice(conn.lastIndexOf(':') + 1)}\n`);
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    void server
      .stop()
      .then(() => db.close())
      .finally(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.stdin.on('end', stop);
  process.stdin.on('error', stop);
  process.stdin.resume();
}

main().catch((err: unknown) => {
  process.stderr.write(`pglite server failed: ${String((err as Error)?.stack ?? err)}\n`);
  process.exit(1);
});
