/**
 * Migration cycles of the crash loop: a tenant moves between the embedded strategies while a
 * client writes to it, and the gateway is killed (SIGKILL) at a random moment of the move.
 * After each restart, once start-up recovery has resumed (or rolled back) the move:
 * - every acknowledged upsert is there with its values, every acknowledged delete stays deleted;
 * - the tenant's records live in exactly one place, the one its placement names (never two
 *   live copies, never none).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, GatewayProcess } from '../support/gateway-process';
import { ScriptTokens } from '../support/script-tokens';
import { peek } from '../support/sqlite-peek';

const DIM = 8;
const PRELOAD = 3000;
const TIERS = ['standard', 'enterprise', 'premium'] as const;
const STRATEGY_OF: Record<string, string> = {
  standard: 'partition_key',
  enterprise: 'database',
  premium: 'collection',
};

export interface MigrationCrashStats {
  cycles: number;
  killedWhileMoving: number;
  completedMoves: number;
  writesAcked: number;
  lostWrites: number;
  placesWrong: number;
}

interface TenantView {
  uid: string;
  strategy: string;
  tier: string;
  migration?: { state: string };
}

function values(seed: number): number[] {
  return Array.from({ length: DIM }, (_, i) => Math.round(Math.sin(seed * (i + 1)) * 1000) / 1000);
}

/** Rows of the tenant in each embedded place, read from the files directly. */
function rowsByPlace(dataDir: string, uid: string): Record<string, number> {
  const shared = join(dataDir, 'embedded', 'embedded.db');
  const own = join(dataDir, 'embedded', 'tenants', `${uid}.db`);
  const count = (file: string, table: string, byUid: boolean): number => {
    if (!existsSync(file)) return 0;
    return peek(file, (db) => {
      const exists = db
        .prepare(`SELECT count(*) FROM sqlite_master WHERE name = ?`)
        .pluck()
        .get(table);
      if (Number(exists) === 0) return 0;
      const sql = `SELECT count(*) FROM "${table}"${byUid ? ' WHERE tenant_uid = ?' : ''}`;
      return Number(
        db
          .prepare(sql)
          .pluck()
          .get(...(byUid ? [uid] : [])),
      );
    });
  };
  return {
    partition_key: count(shared, `vg_shared_${DIM}_euclidean`, true),
    collection: count(shared, `vg_t_${uid}`, false),
    database: count(own, 'vectors', false),
  };
}

class Client {
  constructor(
    private readonly base: string,
    private readonly tokens: ScriptTokens,
  ) {}

  async send(method: string, path: string, token: string, body?: unknown) {
    try {
      const res = await fetch(`${this.base}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      return { status: res.status, body: text ? (JSON.parse(text) as unknown) : undefined };
    } catch {
      return undefined; // killed mid-request: not acknowledged
    }
  }

  async tenant(id: string): Promise<TenantView> {
    const res = await this.send('GET', `/v1/admin/tenants/${id}`, this.tokens.platform());
    if (res?.status !== 200) throw new Error(`GET tenant ${id} answered ${res?.status}`);
    return res.body as TenantView;
  }

  /** Waits for recovery to finish the move it found (resumed or rolled back). */
  async settled(id: string, timeoutMs: number): Promise<TenantView> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const view = await this.tenant(id);
      const state = view.migration?.state;
      if (state === undefined || state === 'failed') return view;
      if (Date.now() > deadline)
        throw new Error(`move of ${id} still ${state} after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

export async function runMigrationCycles(
  cycles: number,
  tokens: ScriptTokens,
  baseEnv: Record<string, string>,
  fail: (message: string) => void,
): Promise<MigrationCrashStats> {
  const stats: MigrationCrashStats = {
    cycles: 0,
    killedWhileMoving: 0,
    completedMoves: 0,
    writesAcked: 0,
    lostWrites: 0,
    placesWrong: 0,
  };
  const dataDir = mkdtempSync(join(tmpdir(), 'vecgate-crash-move-'));
  const env = { ...baseEnv, DATA_DIR: dataDir, MIGRATION_RECORDS_PER_SECOND: '1500' };
  const ledger = new Map<string, number[] | null>();
  const failuresBefore = stats.lostWrites + stats.placesWrong;
  console.log(`migration: ${cycles} cycles, data ${dataDir}`);
  const start = async () => {
    const gateway = new GatewayProcess(await freePort(), env, join(dataDir, 'gateway.log'));
    await gateway.start();
    return { gateway, client: new Client(gateway.base, tokens) };
  };
  let { gateway, client } = await start();
  const writer = tokens.tenant('mover', ['reader', 'writer']);
  const created = await client.send('POST', '/v1/admin/tenants', tokens.platform(), {
    id: 'mover',
    tier: 'standard',
    dimension: DIM,
    metric: 'euclidean',
  });
  if (created?.status !== 201) throw new Error(`creating the tenant answered ${created?.status}`);
  for (let i = 0; i < PRELOAD; i += 100) {
    const vectors = Array.from({ length: 100 }, (_, k) => ({
      id: `p${i + k}`,
      values: values(i + k),
    }));
    const res = await client.send('PUT', '/v1/vectors', writer, { vectors });
    if (res?.status !== 200) throw new Error(`preload answered ${res?.status}`);
    for (const v of vectors) ledger.set(v.id, v.values);
  }

  for (let cycle = 1; cycle <= cycles; cycle++) {
    const before = await client.settled('mover', 120_000);
    const next =
      TIERS[(TIERS.indexOf(before.tier as (typeof TIERS)[number]) + 1) % TIERS.length] ??
      'standard';
    const patch = await client.send('PATCH', '/v1/admin/tenants/mover', tokens.platform(), {
      tier: next,
    });
    if (patch?.status !== 202) fail(`cycle ${cycle}: PATCH answered ${patch?.status}`);
    let stopped = false;
    const writes = (async () => {
      for (let n = 0; !stopped; n++) {
        const id = n % 4 === 3 ? `p${(cycle * 977 + n) % PRELOAD}` : `c${cycle}-${n}`;
        const v = n % 7 === 6 ? null : values(cycle * 100_000 + n);
        const res =
          v === null
            ? await client.send('POST', '/v1/vectors/delete', writer, { ids: [id] })
            : await client.send('PUT', '/v1/vectors', writer, { vectors: [{ id, values: v }] });
        // An answer that never came (or an error) leaves the record either way: not checked.
        if (res?.status !== 200) {
          ledger.delete(id);
          continue;
        }
        ledger.set(id, v);
        stats.writesAcked++;
      }
    })();
    await new Promise((r) => setTimeout(r, 200 + Math.random() * 3500));
    const moving = (await client.tenant('mover').catch(() => undefined))?.migration?.state;
    if (moving) stats.killedWhileMoving++;
    await gateway.kill();
    stopped = true;
    await writes;
    ({ gateway, client } = await start());
    const after = await client.settled('mover', 120_000);
    if (after.strategy === STRATEGY_OF[next]) stats.completedMoves++;
    await check(
      client,
      writer,
      ledger,
      stats,
      fail,
      `cycle ${cycle} (killed in ${moving ?? 'no move'})`,
    );
    const rows = rowsByPlace(dataDir, after.uid);
    const live = Object.entries(rows).filter(([, n]) => n > 0);
    if (live.length !== 1 || live[0]?.[0] !== after.strategy) {
      stats.placesWrong++;
      fail(`cycle ${cycle}: tenant on ${after.strategy}, rows by place ${JSON.stringify(rows)}`);
    }
    stats.cycles++;
    console.log(
      `migration cycle ${cycle}: killed while ${moving ?? 'not moving'}; now on ${after.strategy} ` +
        `(${after.migration?.state ?? 'settled'}), rows by place ${JSON.stringify(rows)}`,
    );
  }
  await gateway.stop();
  if (stats.lostWrites + stats.placesWrong === failuresBefore)
    rmSync(dataDir, { recursive: true, force: true });
  else console.error(`data directory of the migration cycles kept at ${dataDir}`);
  return stats;
}

async function check(
  client: Client,
  token: string,
  ledger: Map<string, number[] | null>,
  stats: MigrationCrashStats,
  fail: (message: string) => void,
  when: string,
): Promise<void> {
  for (const [id, expected] of ledger) {
    const res = await client.send('GET', `/v1/vectors/${id}`, token);
    const got = (res?.body as { values?: number[] } | undefined)?.values;
    const ok =
      expected === null
        ? res?.status === 404
        : res?.status === 200 && got?.every((v, i) => Math.abs(v - (expected[i] ?? 0)) < 1e-3);
    if (!ok) {
      stats.lostWrites++;
      fail(
        `${when}: acknowledged ${expected === null ? 'delete' : 'upsert'} of ${id} answered ${res?.status}`,
      );
    }
  }
}
