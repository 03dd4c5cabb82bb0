import { ChildProcess, spawn } from 'node:child_process';
import { openSync } from 'node:fs';
import { createServer } from 'node:net';

import { MAIN } from './build-output';

export function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => done(port));
    });
  });
}

/**
 * The settings a script starts the gateway with to load it: production mode, its secret, no
 * metrics listener, no audit log lines (the audit store still records every request) and
 * warnings only, so the gateway's log is not what the run measures.
 */
export function quietProductionEnv(secret: string): Record<string, string> {
  return {
    NODE_ENV: 'production',
    JWT_SECRET: secret,
    METRICS_PORT: 'off',
    AUDIT_LOG: 'false',
    LOG_LEVEL: 'warn',
  };
}

/** The gateway as a separate process, the way it runs in production. */
export class GatewayProcess {
  private child?: ChildProcess;
  readonly base: string;

  constructor(
    private readonly port: number,
    private readonly env: Record<string, string>,
    private readonly logFile: string,
    /** The built entry point to run; another build (an earlier commit's) for comparisons. */
    private readonly main: string = MAIN,
  ) {
    this.base = `http://127.0.0.1:${port}`;
  }

  async start(timeoutMs = 30_000): Promise<void> {
    const log = openSync(this.logFile, 'a');
    // GATEWAY_NODE_ARGS lets a run profile the gateway (e.g. "--cpu-prof --cpu-prof-dir=/tmp/p").
    const nodeArgs = (process.env.GATEWAY_NODE_ARGS ?? '').split(' ').filter(Boolean);
    this.child = spawn(process.execPath, [...nodeArgs, this.main], {
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        ...this.env,
        PORT: String(this.port),
        HOST: '127.0.0.1',
      },
      stdio: ['ignore', log, log],
    });
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.child.exitCode !== null)
        throw new Error(`gateway exited with ${this.child.exitCode}; see ${this.logFile}`);
      try {
        const res = await fetch(`${this.base}/health/ready`);
        if (res.status === 200) return;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`gateway not ready after ${timeoutMs} ms; see ${this.logFile}`);
  }

  /** Started and not exited (a crash of its own shows as false). */
  alive(): boolean {
    return (
      this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null
    );
  }

  /** SIGKILL: no shutdown hook runs, nothing is flushed. */
  kill(): Promise<void> {
    return this.signal('SIGKILL');
  }

  stop(): Promise<void> {
    return this.signal('SIGTERM');
  }

  private signal(signal: NodeJS.Signals): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
    return new Promise((done) => {
      child.once('exit', () => done());
      child.kill(signal);
    });
  }
}
