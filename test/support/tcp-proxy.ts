import { AddressInfo, createServer, Server, Socket } from 'node:net';

/** What the proxy does with traffic: forward it, hold every byte, or reset every connection. */
export type ProxyMode = 'forward' | 'stall' | 'reset';

/**
 * A TCP proxy on 127.0.0.1 between the gateway and PostgreSQL, to make the network fail on
 * demand: `stall` keeps connections open and forwards nothing (a hung database), `reset`
 * destroys every connection, open or new (a cut link).
 */
export class TcpProxy {
  private mode: ProxyMode = 'forward';
  private readonly pairs = new Set<[Socket, Socket]>();

  private constructor(
    private readonly server: Server,
    private readonly target: { host: string; port: number },
  ) {}

  static async start(target: { host: string; port: number }): Promise<TcpProxy> {
    const server = createServer();
    const proxy = new TcpProxy(server, target);
    server.on('connection', (socket) => proxy.accept(socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** The URL through this proxy for a PostgreSQL URL of the target. */
  url(direct: string): string {
    const url = new URL(direct);
    url.hostname = '127.0.0.1';
    url.port = String(this.port);
    return url.toString();
  }

  set(mode: ProxyMode): void {
    this.mode = mode;
    if (mode === 'reset') for (const pair of this.pairs) this.drop(pair);
  }

  async close(): Promise<void> {
    for (const pair of this.pairs) this.drop(pair);
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: Socket): void {
    if (this.mode === 'reset') {
      client.resetAndDestroy();
      return;
    }
    const upstream = new Socket();
    const pair: [Socket, Socket] = [client, upstream];
    this.pairs.add(pair);
    const relay = (from: Socket, to: Socket) =>
      from.on('data', (chunk) => {
        if (this.mode === 'forward') to.write(chunk);
      });
    relay(client, upstream);
    relay(upstream, client);
    for (const socket of pair) {
      socket.on('error', () => this.drop(pair));
      socket.on('close', () => this.drop(pair));
    }
    upstream.connect(this.target.port, this.target.host);
  }

  private drop(pair: [Socket, Socket]): void {
    if (!this.pairs.delete(pair)) return;
    for (const socket of pair) if (!socket.destroyed) socket.resetAndDestroy();
  }
}
