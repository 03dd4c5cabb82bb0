import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EmbeddedBackend } from '../libs/isolation/src/backends/embedded/embedded.backend';
import type { TenantScope, VectorWrite } from '../libs/isolation/src/ports/vector.types';

/** The p-th percentile (nearest rank) of the samples. */
export function percentile(samples: readonly number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

/** The report's first lines: date, Node, CPU, then the load average and `after` on the next. */
export function machineLines(after: string): string[] {
  const cpu = `${cpus().length} × ${cpus()[0]?.model ?? '?'}`;
  const load = loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
  return [
    `Run ${new Date().toISOString()}, Node ${process.version}, ${cpu},`,
    `load average ${load} at the end; ${after}`,
  ];
}

/** Upserts `rows` records made by `record`, in batches of 1,000 (the API's batch limit). */
export async function upsertInBatches(
  backend: EmbeddedBackend,
  scope: TenantScope,
  rows: number,
  record: (i: number) => VectorWrite,
): Promise<void> {
  for (let at = 0; at < rows; at += 1000) {
    const batch: VectorWrite[] = [];
    for (let i = at; i < Math.min(rows, at + 1000); i++) batch.push(record(i));
    await backend.upsert(scope, batch);
  }
}

/** A numeric tunable from the environment, or its default. */
export function tunable(name: string, fallback: number): number {
  return Number(process.env[name] ?? fallback);
}

/** Writes a report and prints it. */
export function publish(path: string, lines: readonly string[]): void {
  writeFileSync(path, lines.join('\n'));
  console.log(lines.join('\n'));
}

/**
 * Runs a bench in a fresh temporary directory; afterwards closes every backend it put in
 * `opened` and removes the directory.
 */
export function runInScratch(
  prefix: string,
  bench: (dir: string, opened: EmbeddedBackend[]) => Promise<void>,
): void {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const opened: EmbeddedBackend[] = [];
  void bench(dir, opened).finally(async () => {
    for (const backend of opened) await backend.close();
    rmSync(dir, { recursive: true, force: true });
  });
}
