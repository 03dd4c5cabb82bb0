/**
 * Sums the self time of a V8 CPU profile (`node --cpu-prof`) per function and per file, so a
 * profile of the gateway under load can be read without a browser:
 * `tsx scripts/bench/cpu-profile.ts <file.cpuprofile> [top] [last-seconds]` (the last seconds
 * of the profile only, e.g. the load run without the start-up and data loading before it).
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: {
    readonly functionName: string;
    readonly url: string;
    readonly lineNumber: number;
  };
}

interface Profile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
  readonly endTime: number;
}

function shortFile(url: string): string {
  if (!url) return '(native)';
  const modules = url.lastIndexOf('node_modules/');
  if (modules >= 0) return url.slice(modules + 'node_modules/'.length);
  const dist = url.indexOf('/dist/');
  return dist >= 0 ? url.slice(dist + 1) : url.replace(/^file:\/\//, '');
}

function table(totals: Map<string, number>, all: number, top: number): string {
  return [...totals.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(
      ([name, us]) =>
        `${((100 * us) / all).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(7)} ms  ${name}`,
    )
    .join('\n');
}

function main(): void {
  const [file, topArg, lastArg] = process.argv.slice(2);
  if (!file) throw new Error('usage: cpu-profile.ts <file.cpuprofile> [top]');
  const top = Number(topArg ?? 40);
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const perFunction = new Map<string, number>();
  const perFile = new Map<string, number>();
  const from = lastArg ? profile.endTime - Number(lastArg) * 1e6 : -Infinity;
  let all = 0;
  let at = profile.endTime;
  for (const d of profile.timeDeltas) at -= d;
  profile.samples.forEach((id, i) => {
    const node = byId.get(id);
    const us = profile.timeDeltas[i] ?? 0;
    at += us;
    if (!node || at < from) return;
    all += us;
    const where = shortFile(node.callFrame.url);
    const fn = `${node.callFrame.functionName || '(anonymous)'} ${where}:${node.callFrame.lineNumber + 1}`;
    perFunction.set(fn, (perFunction.get(fn) ?? 0) + us);
    perFile.set(where, (perFile.get(where) ?? 0) + us);
  });
  process.stdout.write(`total ${(all / 1000).toFixed(0)} ms sampled\n\n## self time per file\n`);
  process.stdout.write(`${table(perFile, all, top)}\n\n## self time per function\n`);
  process.stdout.write(`${table(perFunction, all, top)}\n`);
}

main();
