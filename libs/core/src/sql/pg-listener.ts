import { Logger } from '@nestjs/common';
import { Client } from 'pg';
import { pgClientConfig } from './pg-pool';
import { SqlTimeouts } from './sql.options';

export type Unsubscribe = () => Promise<void>;

/** How often a LISTEN connection proves it still answers (a stalled link sends no error). */
const LISTEN_PING_MS = 10_000;

/**
 * PostgreSQL LISTEN, one dedicated connection per channel, that reconnects on failure and
 * pings now and then; `onReconnect` lets the caller drop caches that may have missed
 * notifications while the connection was down.
 */
export class PgListener {
  private readonly logger = new Logger('SqlDatabase');
  private readonly clients = new Set<Client>();

  constructor(
    private readonly url: string,
    private readonly timeouts: SqlTimeouts,
  ) {}

  async listen(
    channel: string,
    onMessage: (payload: string) => void,
    onReconnect: () => void,
  ): Promise<Unsubscribe> {
    if (!/^[a-z_][a-z0-9_]*$/.test(channel)) throw new Error(`invalid channel name ${channel}`);
    let stopped = false;
    let current: Client | undefined;
    let pinger: NodeJS.Timeout | undefined;
    const drop = (client: Client, err: Error): void => {
      if (current !== client) return;
      current = undefined;
      clearInterval(pinger);
      this.logger.warn(`listen connection lost: ${err.message}`);
      this.clients.delete(client);
      void client.end().catch(() => undefined);
      if (!stopped) setTimeout(() => void reconnect(), 1000).unref();
    };
    const connect = async (): Promise<void> => {
      const client = new Client(pgClientConfig(this.url, this.timeouts));
      client.on('notification', (message) => {
        if (message.channel === channel) onMessage(message.payload ?? '');
      });
      client.on('error', (err) => drop(client, err));
      try {
        await client.connect();
        await client.query(`LISTEN ${channel}`);
      } catch (err) {
        void client.end().catch(() => undefined);
        throw err;
      }
      current = client;
      this.clients.add(client);
      pinger = setInterval(() => {
        client.query('select 1').catch((err: Error) => drop(client, err));
      }, LISTEN_PING_MS).unref();
    };
    const reconnect = async (): Promise<void> => {
      try {
        await connect();
        onReconnect();
      } catch (err) {
        this.logger.warn(`listen reconnect failed: ${(err as Error).message}`);
        if (!stopped) setTimeout(() => void reconnect(), 2000).unref();
      }
    };
    await connect();
    return async () => {
      stopped = true;
      clearInterval(pinger);
      if (current) {
        this.clients.delete(current);
        await current.end().catch(() => undefined);
      }
    };
  }

  async close(): Promise<void> {
    for (const client of this.clients) await client.end().catch(() => undefined);
    this.clients.clear();
  }
}
