import { Agent } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { GatewayProcess } from '../../support/gateway-process';
import type { ScriptTokens } from '../../support/script-tokens';
import type { WebhookSink } from '../../support/webhook-sink';
import { call, percentile, Reply } from './wire';

/** What every phase of the suite shares. */
export interface World {
  readonly port: number;
  readonly metricsPort: number;
  readonly gateway: GatewayProcess;
  readonly tokens: ScriptTokens;
  readonly sink: WebhookSink;
  /** Assertions that did not hold; the suite prints them and exits 1. */
  readonly failures: string[];
}

/** One line of the report. */
export interface Row {
  readonly phase: string;
  readonly settings: string;
  readonly p50: number;
  readonly p99: number;
  readonly n: number;
  readonly errors: number;
  readonly ratio: number;
  readonly attacker: string;
  /** A tenant move's timing, for the medians over rounds. */
  readonly move?: {
    readonly seconds: number;
    readonly copySeconds: number;
    readonly verifySeconds: number;
  };
}

export interface AuditItem {
  readonly status: number;
  readonly outcome: string;
  readonly reason?: string;
  readonly action: string;
}

/**
 * The audit events of one request, found by the `x-request-id` the suite sent (kept as
 * `clientRequestId`; the gateway keys its events by an id of its own), through the platform
 * audit API.
 */
export async function trailOf(world: World, requestId: string): Promise<AuditItem[]> {
  const res = await call(world.port, {
    method: 'GET',
    path: `/v1/admin/audit?clientRequestId=${encodeURIComponent(requestId)}`,
    token: world.tokens.platform(['auditor']),
    localAddress: '127.0.0.3',
  });
  if (res.status !== 200) throw new Error(`audit query answered ${res.status}: ${res.body}`);
  return (JSON.parse(res.body) as { items: AuditItem[] }).items;
}

/**
 * Checks that the trail of each request says what its client received: the same status, or
 * 499 when the client gave up or was dropped before an answer.
 */
export async function expectTrailsMatch(
  world: World,
  attack: string,
  sent: readonly { id: string; reply: Reply }[],
): Promise<void> {
  for (const { id, reply } of sent.slice(0, 25)) {
    const statuses = (await trailOf(world, id)).map((e) => e.status);
    const matches =
      reply.status === 0
        ? statuses.includes(499)
        : statuses.includes(reply.status) && !statuses.includes(499);
    if (!matches) {
      const got = reply.status === 0 ? `no answer (${reply.error ?? ''})` : String(reply.status);
      world.failures.push(`${attack}: client got ${got}, audit says [${statuses.join(', ')}]`);
    }
  }
}

/** The gateway's heap in use, from its own Prometheus metrics. */
export async function heapUsedMb(world: World): Promise<number> {
  try {
    const res = await fetch(`http://127.0.0.1:${world.metricsPort}/metrics`);
    const line = (await res.text())
      .split('\n')
      .find((l) => l.startsWith('vecgate_process_nodejs_heap_size_used_bytes'));
    return line ? Number(line.split(' ')[1]) / 2 ** 20 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

export interface QuietStats {
  readonly search: number[];
  readonly fetch: number[];
  readonly write: number[];
  readonly errors: string[];
}

/**
 * The quiet tenant: one search and one fetch after the other (and, given a writer token, the
 * upsert of one record), from its own address, until the phase ends (a time, or a test that
 * turns true). Any answer other than 200 is an error of the suite.
 */
export async function measureQuiet(
  world: World,
  token: string,
  until: number | (() => boolean),
  writer?: string,
): Promise<QuietStats> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1, localAddress: '127.0.0.2' });
  const stats: QuietStats = { search: [], fetch: [], write: [], errors: [] };
  const over = typeof until === 'number' ? () => Date.now() >= until : until;
  let i = 0;
  while (!over()) {
    const search = await call(world.port, {
      method: 'POST',
      path: '/v1/search',
      token,
      agent,
      body: { vector: quietVector(i), topK: 10, includeMetadata: true },
      timeoutMs: 30_000,
    });
    record(stats, stats.search, search, 'search');
    const fetched = await call(world.port, {
      method: 'GET',
      path: `/v1/vectors/q${i % 2000}`,
      token,
      agent,
    });
    record(stats, stats.fetch, fetched, 'fetch');
    if (writer) {
      const written = await call(world.port, {
        method: 'PUT',
        path: '/v1/vectors',
        token: writer,
        agent,
        body: { vectors: [{ id: `w${i % 500}`, values: quietVector(i + 3), metadata: { g: 1 } }] },
      });
      record(stats, stats.write, written, 'write');
    }
    i++;
  }
  agent.destroy();
  return stats;
}

function record(stats: QuietStats, into: number[], reply: Reply, what: string): void {
  if (reply.status === 200) into.push(reply.ms);
  else if (stats.errors.length < 10)
    stats.errors.push(`${what} ${reply.status} ${reply.error ?? reply.body.slice(0, 120)}`);
  else stats.errors.push(what);
}

export const QUIET_DIM = 128;

export function quietVector(seed: number): number[] {
  return Array.from({ length: QUIET_DIM }, (_, j) => Math.sin(seed * 0.7 + j) + 1.2);
}

export function summary(stats: QuietStats): { p50: number; p99: number; n: number } {
  const all = [...stats.search, ...stats.fetch, ...stats.write];
  return { p50: percentile(all, 50), p99: percentile(all, 99), n: all.length };
}

export const newId = (): string => randomUUID();
