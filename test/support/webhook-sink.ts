import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';

/** A local HTTP endpoint standing in for the alert webhook; it records every POST body. */
export class WebhookSink {
  readonly received: unknown[] = [];
  private server?: Server;
  /** Answer this many requests with 500 first, to exercise retries. */
  failFirst = 0;

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        if (this.failFirst > 0) {
          this.failFirst--;
          res.writeHead(500).end();
          return;
        }
        this.received.push(JSON.parse(body));
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server?.address() as AddressInfo).port}/alerts`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) =>
      this.server ? this.server.close(() => resolve()) : resolve(),
    );
  }
}
