import type { AuditMode, BenchSettings } from './report';

function intEnv(name: string, fallback: number, min = 1): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < min) {
    throw new Error(`${name} must be an integer ≥ ${min}`);
  }
  return Number(raw);
}

function listEnv(name: string, fallback: readonly string[]): readonly string[] {
  const raw = process.env[name];
  return raw ? raw.split(',').map((s) => s.trim()) : fallback;
}

function auditMode(value: string): AuditMode {
  if (value !== 'durable' && value !== 'async') {
    throw new Error('BENCH_MODES: durable and/or async');
  }
  return value;
}

/** The bench's tunables, read once from the environment (see scripts/bench.ts). */
export function benchSettings(): BenchSettings {
  return {
    vectors: intEnv('BENCH_VECTORS', 10_000),
    dimension: intEnv('BENCH_DIMENSION', 128),
    topK: intEnv('BENCH_TOPK', 10),
    duration: intEnv('BENCH_DURATION', 10),
    warmup: intEnv('BENCH_WARMUP', 2, 0),
    directSeconds: intEnv('BENCH_DIRECT_SECONDS', 4),
    directPauseMs: intEnv('BENCH_DIRECT_PAUSE_MS', 0, 0),
    pairedRounds: intEnv('BENCH_PAIRED_ROUNDS', 5, 0),
    pairedSeconds: intEnv('BENCH_PAIRED_SECONDS', 3),
    connections: listEnv('BENCH_CONNECTIONS', ['1', '8', '32']).map((c) => {
      if (!/^\d+$/.test(c) || Number(c) < 1) throw new Error('BENCH_CONNECTIONS: integers ≥ 1');
      return Number(c);
    }),
    modes: listEnv('BENCH_MODES', ['durable', 'async']).map(auditMode),
    keep: process.env.BENCH_KEEP === '1',
    metric: 'cosine',
    strategy: 'partition_key',
    queryCount: 32,
  };
}

/** BENCH_GW_<NAME>=value sets the gateway's <NAME> (e.g. BENCH_GW_LOG_LEVEL=warn). */
export function gatewayOverrides(): Record<string, string> {
  const fixed = ['NODE_ENV', 'HOST', 'PORT', 'DATA_DIR', 'JWT_SECRET', 'JWT_SECRETS', 'AUDIT_MODE'];
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('BENCH_GW_') || value === undefined) continue;
    const name = key.slice('BENCH_GW_'.length);
    if (fixed.includes(name)) throw new Error(`${key}: the bench sets ${name} itself`);
    out[name] = value;
  }
  return out;
}
