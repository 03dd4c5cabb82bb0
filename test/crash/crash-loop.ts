/**
 * Crash durability loop (npm run test:crash).
 *
 * Starts the built gateway as a separate process on one data directory, drives upserts,
 * tenant creations and tenant deletions from concurrent clients, kills it with SIGKILL at a
 * random moment, restarts it on the same directory, and checks that:
 * - every acknowledged upsert is there, with its values;
 * - every acknowledged tenant exists and works, every acknowledged deletion stays deleted;
 * - nothing is half-made: every tenant listed is active and usable;
 * - every answered request has its audit event (durable audit mode, the default).
 * A killed process keeps the page cache, so this proves commit-before-acknowledge; the
 * fsync settings themselves are asserted by unit tests (see docs/SECURITY.md).
 *
 * A second phase runs the same loop with the registry and audit store on the local PostgreSQL
 * while another client terminates the gateway's database connections (`pg_terminate_backend`)
 * every few hundred milliseconds: the process must never die of it, and the same checks hold.
 * A 503 answer given because the audit store was away is the one answer allowed to lack its
 * event (the answer says the store is away). CRASH_PG_CYCLES=0 skips the phase.
 *
 * A last phase kills the gateway while a tenant moves between placements (migration-crash.ts;
 * CRASH_MIGRATION_CYCLES=0 skips it).
 */
import Database from 'better-sqlite3';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { createTempDatabase, TempDatabase } from '../support/postgres';
import { MAIN } from '../support/build-output';
import { MigrationCrashStats, runMigrationCycles } from './migration-crash';
import { freePort, GatewayProcess, quietProductionEnv } from '../support/gateway-process';
import { ScriptTokens } from '../support/script-tokens';

const CYCLES = Number(process.env.CRASH_CYCLES ?? 20);
const PG_CYCLES = Number(process.env.CRASH_PG_CYCLES ?? 10);
const MIGRATION_CYCLES = Number(process.env.CRASH_MIGRATION_CYCLES ?? 8);
const WORKERS = Number(process.env.CRASH_WORKERS ?? 6);
const DIM = 8;
const TIERS = ['enterprise', 'premium', 'standard'] as const;

interface Ledger {
  /** tenant id → acknowledged records (id → values). */
  records: Map<string, Map<string, number[]>>;
  tenants: Set<string>;
  deleted: Set<string>;
  /** Deletions whose answer never came: either outcome is legitimate. */
  deleting: Set<string>;
  /** request id → status of every answer received. */
  answered: Map<string, number>;
}

const stats = {
  deletionsTried: 0,
  cycles: 0,
  upsertsAcked: 0,
  recordsAcked: 0,
  tenantsAcked: 0,
  deletionsAcked: 0,
  answered: 0,
  refused: 0,
  connectionsTerminated: 0,
  unavailable: 0,
};
const failures: string[] = [];

function fail(message: string): void {
  failures.push(message);
  if (failures.length <= 20) console.error(`FAIL ${message}`);
}

async function call(
  base: string,
  method: string,
  path: string,
  token: string,
  body: unknown,
  ledger: Ledger,
): Promise<{ status: number; body: unknown } | undefined> {
  const requestId = randomUUID();
  try {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        'x-request-id': requestId,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    ledger.answered.set(requestId, res.status);
    stats.answered++;
    if (res.status === 503) stats.unavailable++;
    return { status: res.status, body: text ? (JSON.parse(text) as unknown) : undefined };
  } catch {
    return undefined; // the process died mid-request: not acknowledged
  }
}

function vector(seed: number): number[] {
  return Array.from(
    { length: DIM },
    (_, i) => Math.round(Math.sin(seed * (i + 1)) * 1000) / 1000 + 1.5,
  );
}

async function drive(
  base: string,
  tokens: ScriptTokens,
  ledger: Ledger,
  cycle: number,
  stop: () => boolean,
): Promise<void> {
  const admin = tokens.platform();
  const worker = async (w: number): Promise<void> => {
    for (let n = 0; !stop(); n++) {
      const roll = Math.random();
      const live = [...ledger.tenants].filter((t) => !ledger.deleted.has(t));
      if (roll < 0.12 || live.length < 3) {
        const id = `c${cycle}-w${w}-t${n}`;
        const res = await call(
          base,
          'POST',
          '/v1/admin/tenants',
          admin,
          {
            id,
            tier: TIERS[n % TIERS.length],
            dimension: DIM,
            metric: 'euclidean',
          },
          ledger,
        );
        if (res?.status === 201) {
          ledger.tenants.add(id);
          stats.tenantsAcked++;
        }
      } else if (roll < 0.15 && live.length > 6) {
        const candidates = live.filter((t) => !ledger.deleting.has(t));
        const victim = candidates[Math.floor(Math.random() * candidates.length)];
        if (!victim) continue;
        ledger.deleting.add(victim);
        stats.deletionsTried++;
        const res = await call(
          base,
          'DELETE',
          `/v1/admin/tenants/${victim}`,
          admin,
          undefined,
          ledger,
        );
        // 202 (replicas): the verified erasure is under way and recovery finishes it.
        if (res?.status === 204 || res?.status === 202) {
          ledger.deleting.delete(victim);
          ledger.deleted.add(victim);
          stats.deletionsAcked++;
        } else if (res && res.status < 500) {
          if (process.env.CRASH_DEBUG)
            console.log('delete answered', res.status, JSON.stringify(res.body));
          ledger.deleting.delete(victim);
        }
        // A 5xx leaves the outcome open (the tenant may be marked and then erased by
        // recovery), like an answer that never came: it stays in `deleting` to settle.
      } else {
        const tenant = live[Math.floor(Math.random() * live.length)] as string;
        if (ledger.deleted.has(tenant) || ledger.deleting.has(tenant)) continue;
        const size = 1 + Math.floor(Math.random() * 20);
        const vectors = Array.from({ length: size }, (_, i) => {
          const seed = cycle * 1e6 + w * 1e5 + n * 100 + i;
          return {
            id: `r${cycle}-${w}-${n}-${i}`,
            values: vector(seed),
            metadata: { cycle, seed },
          };
        });
        const res = await call(
          base,
          'PUT',
          '/v1/vectors',
          tokens.tenant(tenant, ['writer']),
          { vectors },
          ledger,
        );
        if (res?.status === 200) {
          let records = ledger.records.get(tenant);
          if (!records) ledger.records.set(tenant, (records = new Map()));
          for (const v of vectors) records.set(v.id, v.values);
          stats.upsertsAcked++;
          stats.recordsAcked += vectors.length;
        } else if (res && res.status !== 409 && res.status !== 401) {
          stats.refused++;
        }
      }
    }
  };
  await Promise.all(Array.from({ length: WORKERS }, (_, w) => worker(w)));
}

/**
 * The request ids the loop sent (`x-request-id`, kept as the events' client request id; the
 * gateway keys its events by an id of its own), read directly from the audit store (the
 * gateway is dead).
 */
async function storedRequestIds(dataDir: string, database?: TempDatabase): Promise<Set<string>> {
  if (database) {
    const client = new Client({ connectionString: database.url });
    await client.connect();
    try {
      const rows = await client.query<{ request_id: string }>(
        'SELECT client_request_id AS request_id FROM vg_audit_events WHERE client_request_id IS NOT NULL',
      );
      return new Set(rows.rows.map((r) => r.request_id));
    } finally {
      await client.end();
    }
  }
  const db = new Database(join(dataDir, 'vecgate.db'), { readonly: true, fileMustExist: true });
  try {
    const sent = db.prepare(
      'SELECT client_request_id FROM vg_audit_events WHERE client_request_id IS NOT NULL',
    );
    return new Set(sent.pluck().all() as string[]);
  } finally {
    db.close();
  }
}

/** Checks that every answered request has its audit event. */
async function checkAudit(dataDir: string, ledger: Ledger, database?: TempDatabase): Promise<void> {
  const stored = await storedRequestIds(dataDir, database);
  for (const [requestId, status] of ledger.answered) {
    // Only the database phase: the answer itself said the audit store was away.
    if (database && status === 503) continue;
    if (!stored.has(requestId)) fail(`answered ${status} request ${requestId} has no audit event`);
  }
}

/** Terminates the gateway's PostgreSQL connections at random moments until `stop`. */
async function terminateConnections(database: TempDatabase, stop: () => boolean): Promise<void> {
  while (!stop()) {
    await new Promise((r) => setTimeout(r, 100 + Math.random() * 300));
    if (stop()) return;
    stats.connectionsTerminated += await database.terminateConnections().catch(() => 0);
  }
}

async function verify(
  base: string,
  tokens: ScriptTokens,
  ledger: Ledger,
  checkRecord: (tenant: string, id: string) => boolean,
): Promise<void> {
  const admin = tokens.platform();
  const headers = { authorization: `Bearer ${admin}` };
  const listed: { id: string; status: string }[] = [];
  let cursor: string | null = null;
  do {
    const res = await fetch(
      `${base}/v1/admin/tenants?limit=1000${cursor ? `&cursor=${cursor}` : ''}`,
      { headers },
    );
    const page = (await res.json()) as {
      items: { id: string; status: string }[];
      nextCursor: string | null;
    };
    listed.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  const listedIds = new Set(listed.map((t) => t.id));
  for (const tenant of listed) {
    if (tenant.status !== 'active') fail(`tenant ${tenant.id} is ${tenant.status} after restart`);
    const res = await fetch(`${base}/v1/stats`, {
      headers: { authorization: `Bearer ${tokens.tenant(tenant.id, ['tenant_admin'])}` },
    });
    if (res.status !== 200)
      fail(`tenant ${tenant.id} is listed but unusable: stats answered ${res.status}`);
    // A creation whose answer was lost may have completed: adopt it so later cycles use it.
    if (!ledger.deleted.has(tenant.id)) ledger.tenants.add(tenant.id);
  }
  // An interrupted deletion is finished by recovery or never started: either way it settles.
  for (const id of ledger.deleting) {
    if (!listedIds.has(id)) ledger.deleted.add(id);
  }
  ledger.deleting.clear();
  for (const id of ledger.tenants) {
    if (!ledger.deleted.has(id) && !listedIds.has(id)) fail(`acknowledged tenant ${id} is missing`);
  }
  for (const id of ledger.deleted)
    if (listedIds.has(id)) fail(`acknowledged deletion of ${id} was undone`);
  for (const [tenant, records] of ledger.records) {
    if (ledger.deleted.has(tenant)) continue;
    const token = tokens.tenant(tenant, ['reader']);
    for (const [id, values] of records) {
      if (!checkRecord(tenant, id)) continue;
      const res = await fetch(`${base}/v1/vectors/${encodeURIComponent(id)}`, {
        headers: { authorization: `Bearer ${token}` },
      });
      if (res.status !== 200) {
        fail(`acknowledged record ${tenant}/${id} answered ${res.status}`);
        continue;
      }
      const body = (await res.json()) as { values: number[] };
      const same =
        body.values.length === values.length &&
        body.values.every((v, i) => Math.abs(v - (values[i] as number)) < 1e-3);
      if (!same) fail(`acknowledged record ${tenant}/${id} has other values`);
    }
  }
}

/** One kill loop on a fresh data directory (and, for the database phase, a fresh database). */
async function runPhase(
  name: string,
  cycles: number,
  tokens: ScriptTokens,
  baseEnv: Record<string, string>,
  database?: TempDatabase,
): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'vecgate-crash-'));
  const env = {
    ...baseEnv,
    DATA_DIR: dataDir,
    ...(database ? { DATABASE_URL: database.url } : {}),
  };
  const ledger: Ledger = {
    records: new Map(),
    tenants: new Set(),
    deleted: new Set(),
    deleting: new Set(),
    answered: new Map(),
  };
  console.log(`${name}: ${cycles} cycles, ${WORKERS} concurrent clients, data ${dataDir}`);
  for (let cycle = 1; cycle <= cycles; cycle++) {
    const gateway = new GatewayProcess(await freePort(), env, join(dataDir, 'gateway.log'));
    await gateway.start();
    // Each restart checks what was acknowledged since the last check; the end checks everything.
    if (cycle > 1)
      await verify(gateway.base, tokens, ledger, (_t, id) => id.startsWith(`r${cycle - 1}-`));
    let stopped = false;
    const load = drive(gateway.base, tokens, ledger, cycle, () => stopped);
    const chaos = database ? terminateConnections(database, () => stopped) : Promise.resolve();
    await new Promise((r) => setTimeout(r, 300 + Math.random() * 1700));
    if (!gateway.alive()) fail(`${name} cycle ${cycle}: the gateway died before it was killed`);
    await gateway.kill();
    stopped = true;
    await Promise.all([load, chaos]);
    await checkAudit(dataDir, ledger, database);
    stats.cycles++;
    console.log(
      `${name} cycle ${cycle}: killed; acknowledged so far ${stats.tenantsAcked} tenants, ${stats.deletionsAcked} deletions, ` +
        `${stats.upsertsAcked} upserts (${stats.recordsAcked} records), ${stats.answered} answered requests` +
        (database
          ? `, ${stats.connectionsTerminated} connections terminated, ${stats.unavailable} answered 503`
          : ''),
    );
  }
  const final = new GatewayProcess(await freePort(), env, join(dataDir, 'gateway.log'));
  await final.start();
  await verify(final.base, tokens, ledger, () => true);
  await final.stop();
  if (failures.length === 0) rmSync(dataDir, { recursive: true, force: true });
  else console.error(`data directory of ${name} kept at ${dataDir}`);
}

async function main(): Promise<void> {
  if (!existsSync(MAIN)) throw new Error('build first: npm run build');
  const secret = randomBytes(32).toString('base64url');
  const tokens = new ScriptTokens(secret);
  const env = quietProductionEnv(secret);
  const started = Date.now();
  await runPhase('sqlite', CYCLES, tokens, env);
  if (PG_CYCLES > 0) {
    const database = await createTempDatabase('vg_crash');
    try {
      // Short bounds, so a terminated connection costs a request a second, not ten.
      await runPhase(
        'postgres with terminated connections',
        PG_CYCLES,
        tokens,
        {
          ...env,
          DATABASE_CONNECT_TIMEOUT_MS: '2000',
          DATABASE_STATEMENT_TIMEOUT_MS: '2000',
        },
        database,
      );
    } finally {
      await database.drop();
    }
  }
  let moves: MigrationCrashStats | undefined;
  if (MIGRATION_CYCLES > 0) moves = await runMigrationCycles(MIGRATION_CYCLES, tokens, env, fail);
  const seconds = ((Date.now() - started) / 1000).toFixed(0);
  console.log('');
  console.log(`kill cycles                     ${stats.cycles}`);
  console.log(`acknowledged tenants            ${stats.tenantsAcked}`);
  console.log(
    `acknowledged tenant deletions   ${stats.deletionsAcked} of ${stats.deletionsTried} tried`,
  );
  console.log(
    `acknowledged upserts            ${stats.upsertsAcked} (${stats.recordsAcked} records)`,
  );
  console.log(`answered requests               ${stats.answered}`);
  console.log(`database connections terminated ${stats.connectionsTerminated}`);
  console.log(`answered 503 (database away)    ${stats.unavailable}`);
  console.log(
    `lost acknowledged writes        ${failures.filter((f) => f.startsWith('acknowledged record')).length}`,
  );
  console.log(
    `half-made or lost tenants       ${failures.filter((f) => f.includes('tenant')).length}`,
  );
  console.log(
    `answered without audit event    ${failures.filter((f) => f.includes('audit')).length}`,
  );
  console.log(
    `gateway died on its own         ${failures.filter((f) => f.includes('died')).length}`,
  );
  if (moves) {
    console.log(
      `migration kill cycles           ${moves.cycles} (${moves.killedWhileMoving} killed while moving, ${moves.completedMoves} moves completed)`,
    );
    console.log(`migration: acknowledged writes  ${moves.writesAcked}`);
    console.log(`migration: lost writes          ${moves.lostWrites}`);
    console.log(`migration: two or no live places ${moves.placesWrong}`);
  }
  console.log(`duration                        ${seconds} s`);
  if (failures.length > 0) {
    console.error(`\n${failures.length} failures`);
    process.exit(1);
  }
  console.log('\nOK: nothing acknowledged was lost, nothing half-made remains.');
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
