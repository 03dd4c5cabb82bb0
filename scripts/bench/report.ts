import { cpus, arch, loadavg, release, totalmem, type } from 'node:os';
import type { Summary } from './measure';
import type { PairedRound } from './paired';

export interface BenchSettings {
  readonly vectors: number;
  readonly dimension: number;
  readonly topK: number;
  readonly duration: number;
  readonly warmup: number;
  readonly directSeconds: number;
  /** Idle time before each direct call (0: back to back). */
  readonly directPauseMs: number;
  /** Rounds of the side-by-side measurement at one connection (0: none). */
  readonly pairedRounds: number;
  /** Seconds per target and round of that measurement. */
  readonly pairedSeconds: number;
  readonly connections: readonly number[];
  readonly modes: readonly AuditMode[];
  readonly keep: boolean;
  readonly metric: string;
  readonly strategy: string;
  readonly queryCount: number;
}

export type AuditMode = 'durable' | 'async';

export interface GatewayRun extends Summary {
  readonly server: { readonly p50: number; readonly p99: number; readonly count: number };
}

export interface GatewayResult {
  readonly mode: AuditMode;
  readonly runs: ReadonlyMap<number, GatewayRun>;
  /** The same searches authenticated by a tenant API key instead of a JWT. */
  readonly keyRuns: ReadonlyMap<number, GatewayRun>;
  readonly direct: Summary;
}

export interface BuildInfo {
  readonly commit: string;
  readonly distBuilt: string;
  warning?: string;
}

export interface BenchResults {
  readonly env: ReturnType<typeof environment>;
  readonly loadBefore: string;
  readonly build: BuildInfo;
  readonly gateways: readonly GatewayResult[];
  readonly baseline: ReadonlyMap<number, Summary>;
  /** The side-by-side rounds at one connection, in async mode (see paired.ts). */
  readonly paired: readonly PairedRound[];
}

/** Milliseconds as the reports print them. */
export const ms = (v: number): string => v.toFixed(3);
/** Milliseconds as signed whole microseconds. */
export const us = (v: number): string => `${v >= 0 ? '+' : ''}${Math.round(v * 1000)}`;
const ratio = (a: number, b: number): string => `${(a / b).toFixed(2)}×`;
const rps = (v: number): string => Math.round(v).toLocaleString('en-US');

const COLUMNS = [
  ['target', 'target'],
  ['conns', 'conns'],
  ['p50', 'p50 ms'],
  ['p99', 'p99 ms'],
  ['rps', 'req/s'],
  ['vsDirect50', 'vs direct p50 (×/µs)'],
  ['vsDirect99', 'vs direct p99 (×/µs)'],
  ['vsBase50', 'vs HTTP p50 (×/µs)'],
  ['vsBase99', 'vs HTTP p99 (×/µs)'],
  ['pipeline50', 'pipeline p50 µs'],
  ['server50', 'in-server p50 ms'],
  ['serverOver50', 'in-server − direct p50 µs'],
] as const;

type Column = (typeof COLUMNS)[number][0];
export type Row = Record<Column, string>;

function must<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`no figures for ${what}`);
  return value;
}

/** A reference (baseline or direct call): its own figures, no comparison columns. */
function referenceRow(target: string, conns: number | string, summary: Summary): Row {
  const row = Object.fromEntries(COLUMNS.map(([key]) => [key, ''])) as Row;
  return {
    ...row,
    target,
    conns: String(conns),
    p50: ms(summary.p50),
    p99: ms(summary.p99),
    rps: rps(summary.rps),
  };
}

export function rows(results: BenchResults, settings: BenchSettings): Row[] {
  const out: Row[] = [];
  for (const conns of settings.connections) {
    const base = must(results.baseline.get(conns), `baseline ${conns}`);
    out.push(referenceRow('plain Fastify (HTTP only)', conns, base));
  }
  for (const g of results.gateways) {
    out.push(
      referenceRow(`direct EmbeddedBackend.search (${g.mode} data)`, 'in-process', g.direct),
    );
    for (const [credential, runs] of [
      ['', g.runs],
      [', API key', g.keyRuns],
    ] as const) {
      for (const conns of settings.connections) {
        const r = must(runs.get(conns), `gateway ${g.mode}${credential} ${conns}`);
        const base = must(results.baseline.get(conns), `baseline ${conns}`);
        out.push({
          target: `gateway AUDIT_MODE=${g.mode}${credential}`,
          conns: String(conns),
          p50: ms(r.p50),
          p99: ms(r.p99),
          rps: rps(r.rps),
          vsDirect50: `${ratio(r.p50, g.direct.p50)} / ${us(r.p50 - g.direct.p50)}`,
          vsDirect99: `${ratio(r.p99, g.direct.p99)} / ${us(r.p99 - g.direct.p99)}`,
          vsBase50: `${ratio(r.p50, base.p50)} / ${us(r.p50 - base.p50)}`,
          vsBase99: `${ratio(r.p99, base.p99)} / ${us(r.p99 - base.p99)}`,
          pipeline50: us(r.p50 - base.p50 - g.direct.p50),
          server50: ms(r.server.p50),
          serverOver50: us(r.server.p50 - g.direct.p50),
        });
      }
    }
  }
  return out;
}

export function textTable(data: readonly Row[]): string {
  const widths = COLUMNS.map(([key, title]) =>
    Math.max(title.length, ...data.map((row) => row[key].length)),
  );
  const line = (cells: readonly string[]): string =>
    cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ');
  return [
    line(COLUMNS.map(([, title]) => title)),
    line(widths.map((w) => '-'.repeat(w))),
    ...data.map((row) => line(COLUMNS.map(([key]) => row[key]))),
  ].join('\n');
}

export function markdownTable(data: readonly Row[]): string {
  const head = `| ${COLUMNS.map(([, title]) => title).join(' | ')} |`;
  const rule = `|${COLUMNS.map(() => '---').join('|')}|`;
  const body = data.map((row) => `| ${COLUMNS.map(([key]) => row[key]).join(' | ')} |`);
  return [head, rule, ...body].join('\n');
}

export function loadAverage(): string {
  return loadavg()
    .map((v) => v.toFixed(2))
    .join(' / ');
}

export function environment() {
  const all = cpus();
  return {
    date: new Date().toISOString(),
    node: process.version,
    cpu: `${all[0] ? all[0].model.trim() : 'unknown'} × ${all.length} logical CPU(s)`,
    os: `${type()} ${release()} ${arch()}`,
    memory: `${(totalmem() / 2 ** 30).toFixed(1)} GiB`,
    load: loadAverage(),
  };
}
