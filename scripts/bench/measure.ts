import autocannon from 'autocannon';
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { ROOT } from '../../test/support/build-output';
import { rng } from '../../test/support/rng';

export interface Summary {
  readonly count: number;
  readonly p50: number;
  readonly p99: number;
  readonly mean: number;
  readonly max: number;
  readonly rps: number;
}

export interface SearchRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
}

export function randomVectors(count: number, dimension: number, seed: number): number[][] {
  const next = rng(seed);
  // Values a float32 represents exactly, so JSON and Float32Array carry the same numbers.
  return Array.from({ length: count }, () =>
    Array.from({ length: dimension }, () => Math.fround(next() * 2 - 1)),
  );
}

export function log(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] ?? NaN;
}

export function summarize(samplesMs: readonly number[], seconds: number): Summary {
  const sorted = Float64Array.from(samplesMs).sort();
  let sum = 0;
  for (const v of sorted) sum += v;
  return {
    count: sorted.length,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    mean: sorted.length ? sum / sorted.length : NaN,
    max: sorted[sorted.length - 1] ?? NaN,
    rps: sorted.length / seconds,
  };
}

export async function request(
  base: string,
  method: string,
  path: string,
  token: string | undefined,
  body?: unknown,
): Promise<unknown> {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path} answered ${response.status}: ${text}`);
  return text ? (JSON.parse(text) as unknown) : undefined;
}

export interface RunningServer {
  readonly base: string;
  /** The child's process id (its main thread's id too, for /proc/<pid>/task/<pid>/stat). */
  readonly pid: number | undefined;
  stop(): Promise<void>;
}

/** Starts a child process and waits until GET /health/ready answers 200. */
export async function startServer(
  name: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  port: number,
  logFile: string,
): Promise<RunningServer> {
  const out = openSync(logFile, 'a');
  const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', out, out] });
  closeSync(out);
  let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  child.once('exit', (code, signal) => {
    exited = { code, signal };
  });
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exited) {
      throw new Error(
        `${name} exited (${JSON.stringify(exited)}) before it was ready; see ${logFile}`,
      );
    }
    try {
      const r = await fetch(`${base}/health/ready`);
      await r.arrayBuffer();
      if (r.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${name} was not ready within 60 s; see ${logFile}`);
    }
    await sleep(100);
  }
  return {
    base,
    pid: child.pid,
    stop: async () => {
      if (exited) return;
      const done = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await done;
      clearTimeout(timer);
    },
  };
}

/**
 * One autocannon run. Latencies come from autocannon's per-response event (a float in ms from
 * process.hrtime); its own histogram rounds to whole milliseconds, too coarse here.
 */
export async function load(
  base: string,
  requests: SearchRequest[],
  connections: number,
  duration: number,
): Promise<Summary> {
  const samples: number[] = [];
  const statuses: Record<number, number> = {};
  const started = process.hrtime.bigint();
  const instance = autocannon({ url: base, connections, duration, timeout: 10, requests });
  instance.on('response', (_client, statusCode, _bytes, responseTime) => {
    statuses[statusCode] = (statuses[statusCode] ?? 0) + 1;
    if (statusCode >= 200 && statusCode < 300) samples.push(responseTime);
  });
  const result = await instance;
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const bad = Object.entries(statuses).filter(([code]) => Number(code) >= 300);
  if (bad.length > 0 || result.errors > 0 || result.timeouts > 0) {
    throw new Error(
      `load run had failures: statuses ${JSON.stringify(statuses)}, errors ${result.errors}, ` +
        `timeouts ${result.timeouts}`,
    );
  }
  return summarize(samples, seconds);
}
