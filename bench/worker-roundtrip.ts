/**
 * `npx tsx bench/worker-roundtrip.ts`: what one round trip to a worker thread costs on this
 * machine, with nothing else in it. The embedded engine answers every search from a worker
 * (`embedded.engine-pool.ts`): the main thread posts the query, the worker wakes, answers, and
 * the main thread wakes for the reply. Here the worker only echoes a reply shaped like a
 * search's (ten matches with small metadata) to a message shaped like a search call (a
 * 128-float query and its target), so the figures are the hand-off alone: the wall time of a
 * round trip (p50 and mean), the main thread's busy time (`eventLoopUtilization`) and the
 * process's CPU time per call. Every search pays this, direct or through the gateway; on a
 * virtual machine the wake-ups dominate it.
 *
 * Tunables (environment): BENCH_ROUNDTRIP_CALLS (10,000 per round), BENCH_ROUNDTRIP_ROUNDS (3).
 */
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { machineLines, percentile, tunable } from './engine-support';

const CALLS = tunable('BENCH_ROUNDTRIP_CALLS', 10_000);
const ROUNDS = tunable('BENCH_ROUNDTRIP_ROUNDS', 3);

const ECHO = `
const { parentPort } = require('node:worker_threads');
const matches = Array.from({ length: 10 }, (_, i) => ({
  id: 'record-' + i,
  score: 0.5,
  metadata: { text: 'a short text ' + i, n: i },
}));
parentPort.on('message', (m) => parentPort.postMessage({ id: m.id, matches }));
`;

interface Reply {
  readonly id: number;
}

async function main(): Promise<void> {
  const worker = new Worker(ECHO, { eval: true });
  const pending = new Map<number, () => void>();
  worker.on('message', (reply: Reply) => {
    pending.get(reply.id)?.();
    pending.delete(reply.id);
  });
  const vector = Array.from({ length: 128 }, (_, i) => Math.sin(i));
  const target = { tenantUid: '0'.repeat(32), file: 'tenants.db', table: 'records', namespace: '' };
  let next = 0;
  const call = (): Promise<void> =>
    new Promise((resolve) => {
      const id = ++next;
      pending.set(id, resolve);
      worker.postMessage({ id, kind: 'call', call: { op: 'search', target, vector, topK: 10 } });
    });

  for (let i = 0; i < 2_000; i++) await call();
  const rounds: string[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    const wall: number[] = [];
    const cpu = process.cpuUsage();
    const loop = performance.eventLoopUtilization();
    const started = performance.now();
    for (let i = 0; i < CALLS; i++) {
      const t0 = performance.now();
      await call();
      wall.push((performance.now() - t0) * 1000);
    }
    const meanUs = ((performance.now() - started) * 1000) / CALLS;
    const busyUs = (performance.eventLoopUtilization(loop).active * 1000) / CALLS;
    const used = process.cpuUsage(cpu);
    const cpuUs = (used.user + used.system) / CALLS;
    rounds.push(
      `round ${round}: wall p50 ${percentile(wall, 50).toFixed(0)} µs, mean ${meanUs.toFixed(0)} µs; ` +
        `main thread busy ${busyUs.toFixed(0)} µs; process CPU ${cpuUs.toFixed(0)} µs per round trip`,
    );
  }
  await worker.terminate();
  const head = machineLines(`${ROUNDS} rounds of ${CALLS} round trips`);
  console.log([...head, ...rounds].join('\n'));
}

void main();
